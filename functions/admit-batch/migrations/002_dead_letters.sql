-- The broker's dead letters: every CloudEvent whose delivery to a subscriber ran out of retries,
-- kept in full (so it can be replayed as it was) with why its delivery failed. The broker posts
-- them to admit-batch's POST /dead-letters; operators list, inspect and replay them (/admin).
CREATE TABLE dead_letters (
  id               bigserial PRIMARY KEY,
  -- The event, as its producer sent it (the knativeerror* extensions are kept apart, below).
  event_id         text NOT NULL,
  source           text NOT NULL,
  type             text NOT NULL,
  subject          text,
  time             text,
  datacontenttype  text,
  dataschema       text,
  data             jsonb,
  data_base64      text,
  extensions       jsonb NOT NULL DEFAULT '{}',
  -- Where it could not be delivered (knativeerrordest: the subscriber, or the broker's filter for
  -- a Trigger), its last answer's status (knativeerrorcode) and body (knativeerrordata, decoded).
  destination      text NOT NULL DEFAULT '',
  error_code       integer,
  error_data       text,
  first_failed_at  timestamptz NOT NULL DEFAULT now(),
  last_failed_at   timestamptz NOT NULL DEFAULT now(),
  -- Times it arrived failed: the first time, and again after each replay that failed too.
  failures         integer NOT NULL DEFAULT 1,
  -- Open: waiting for an operator. A replay closes it; a replay that fails again opens it again.
  open             boolean NOT NULL DEFAULT true,
  replays          integer NOT NULL DEFAULT 0,
  last_replayed_at timestamptz,
  last_replayed_by text,
  -- The broker delivers at least once: the same dead letter twice is one row.
  UNIQUE (source, event_id, destination)
);
CREATE INDEX dead_letters_open ON dead_letters (type, id) WHERE open;
CREATE INDEX dead_letters_by_type ON dead_letters (type, id);

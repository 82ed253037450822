-- Applied in every function's own schema (the search_path is set to it).

-- Events written in the same transaction as the state change they describe; published after
-- commit, and re-published by the relay until the broker has accepted them.
CREATE TABLE outbox (
  id              bigserial PRIMARY KEY,
  event_id        uuid NOT NULL UNIQUE,
  type            text NOT NULL,
  subject         text,
  data            jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer NOT NULL DEFAULT 0,
  last_error      text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  published_at    timestamptz
);
CREATE INDEX outbox_unpublished ON outbox (next_attempt_at, id) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

-- CloudEvents already handled (source + id), recorded in the handler's transaction, so a
-- redelivered event is acknowledged and not handled twice.
CREATE TABLE inbox (
  source      text NOT NULL,
  event_id    text NOT NULL,
  type        text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (source, event_id)
);
CREATE INDEX inbox_received_at ON inbox (received_at);

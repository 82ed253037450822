-- The tokens given back to their show one by one (the visitor left, was passed over, let the
-- admission lapse, left the zone without a word), with the session they were bound to: a room
-- rebuilt after Redis forgot it knows them as given back, and their holders are not put back in
-- line (reinstate.lua) nor counted against the quota. Written by issue-token (leave) and the
-- bouncer (admit-batch) after Redis gave them back; a visit ended without seats is in
-- reserve_seat.visits. Part of the waiting room's durable record (packages/waiting-room/src/ledger.ts).
CREATE TABLE returned_tokens (
  show_id      text NOT NULL,
  visitor      integer NOT NULL CHECK (visitor > 0),
  session_hash text NOT NULL,
  reason       text NOT NULL CHECK (reason IN ('left', 'lapsed', 'passed_over')),
  returned_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (show_id, visitor)
);

-- The waiting room's durable record of the tokens it issued, so that a Redis that forgets a show
-- (a restart without its data, a flush, a failover to a replica that lagged) cannot issue its quota
-- a second time nor give a visitor number to two visitors. Visitor numbers are taken from here in
-- blocks (ledger.ts): no token of the show carries a number above `reserved`. Written once per
-- block, read when a show's room is rebuilt.
CREATE TABLE token_ledger (
  show_id     text PRIMARY KEY,
  reserved    integer NOT NULL CHECK (reserved >= 0),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

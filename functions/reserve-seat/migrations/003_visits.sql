-- A visit: one admitted visitor's time in the protected zone, from entering seat selection to its
-- end. Opened once, on the first entry with the waiting room's access token; entering again finds
-- the same visit and never moves its end. Its zone pass expires when it ends (ends_at). It ends
-- early when its order is confirmed, given up or run out; a hold the legacy system refused does not
-- end it. The visitor number is the waiting room's (unique within a show), as in orders.visitor.
CREATE TABLE visits (
  show_id      text NOT NULL,
  visitor      integer NOT NULL CHECK (visitor > 0),
  -- The session the visit is bound to (the access token's), as orders.session_hash.
  session_hash text NOT NULL,
  entered_at   timestamptz NOT NULL DEFAULT now(),
  -- When its time is up: entered_at + ZONE_VISIT_SECONDS, in whole seconds (the zone pass's exp).
  ends_at      timestamptz NOT NULL,
  -- When and why it ended (time_up: recorded by the expiry sweep once nothing is held).
  ended_at     timestamptz,
  end_reason   text CHECK (end_reason IN ('order_confirmed', 'given_up', 'hold_expired', 'time_up')),
  PRIMARY KEY (show_id, visitor),
  CHECK ((ended_at IS NULL) = (end_reason IS NULL))
);
-- The sweep's work list: visits whose time may be up.
CREATE INDEX visits_open ON visits (ends_at) WHERE ended_at IS NULL;
-- A visit's orders: the one open order and the seats it has, checked with every hold.
CREATE INDEX orders_by_visit ON orders (show_id, visitor);

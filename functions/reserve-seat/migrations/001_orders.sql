-- reserve-seat's record: orders, their seats and extras, every state change, the tickets. Our own
-- record is the referee: whatever the legacy system answers, a seat of a show is held or sold by
-- at most one order (seat_claims' primary key).

CREATE TABLE orders (
  id              uuid PRIMARY KEY,
  show_id         text NOT NULL,
  -- The waiting room's visitor number (the access token's vid), which the bouncer frees.
  visitor         integer NOT NULL CHECK (visitor > 0),
  -- The buyer's session (its hash), the one their access token was bound to.
  session_hash    text NOT NULL,
  state           text NOT NULL CHECK (state IN ('pending_payment', 'awaiting_payment', 'confirmed', 'expired', 'cancelled', 'refund_required')),
  -- The legacy system's hold, and when ours runs out (never later than the legacy system's).
  hold_id         text,
  hold_expires_at timestamptz NOT NULL,
  currency        char(3) NOT NULL,
  -- Priced here from the catalog, never taken from the client.
  total_cents     integer NOT NULL CHECK (total_cents >= 0),
  -- Why the last payment was rejected, shown to the buyer.
  rejection_reason text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
-- The expiry sweeper's work list.
CREATE INDEX orders_holding ON orders (hold_expires_at) WHERE state IN ('pending_payment', 'awaiting_payment');
CREATE INDEX orders_by_show ON orders (show_id, created_at);

CREATE TABLE order_seats (
  order_id    uuid NOT NULL REFERENCES orders (id),
  seat        text NOT NULL,
  ticket_type text NOT NULL CHECK (ticket_type IN ('full', 'half')),
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  PRIMARY KEY (order_id, seat)
);

-- The seats an order holds or has bought: one row per seat of a show, so a second order for the
-- same seat fails here. Released (deleted) when the order expires or is cancelled.
CREATE TABLE seat_claims (
  show_id  text NOT NULL,
  seat     text NOT NULL,
  order_id uuid NOT NULL REFERENCES orders (id),
  PRIMARY KEY (show_id, seat)
);
CREATE INDEX seat_claims_by_order ON seat_claims (order_id);

CREATE TABLE order_extras (
  order_id    uuid NOT NULL REFERENCES orders (id),
  extra_id    text NOT NULL,
  quantity    integer NOT NULL CHECK (quantity BETWEEN 1 AND 20),
  price_cents integer NOT NULL CHECK (price_cents >= 0),
  PRIMARY KEY (order_id, extra_id)
);

-- The audit trail: every transition of every order, with its time and cause.
CREATE TABLE order_transitions (
  id         bigserial PRIMARY KEY,
  order_id   uuid NOT NULL REFERENCES orders (id),
  from_state text,
  to_state   text NOT NULL,
  cause      text NOT NULL,
  at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_transitions_by_order ON order_transitions (order_id, id);

CREATE TABLE tickets (
  code     text PRIMARY KEY,
  order_id uuid NOT NULL REFERENCES orders (id),
  show_id  text NOT NULL,
  seat     text NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (show_id, seat)
);

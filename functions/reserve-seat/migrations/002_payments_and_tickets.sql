-- Each payment asked of process-payment for an order (one per attempt; the card token itself is
-- not kept here), and the order's tickets get their codes at confirmation (tickets, 001).
CREATE TABLE payment_requests (
  order_id     uuid NOT NULL REFERENCES orders (id),
  attempt      integer NOT NULL CHECK (attempt > 0),
  amount_cents integer NOT NULL CHECK (amount_cents >= 0),
  requested_at timestamptz NOT NULL DEFAULT now(),
  outcome      text CHECK (outcome IN ('approved', 'rejected')),
  reason       text,
  PRIMARY KEY (order_id, attempt)
);

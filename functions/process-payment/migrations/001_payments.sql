-- process-payment's record: one payment per order attempt (reserve-seat's paymentId), every call
-- to the provider, and refunds. Card data never reaches us: only the provider's payment-method
-- token, which is what a retry or a reconciliation needs.

CREATE TABLE payments (
  -- '<order id>:<attempt>', chosen by reserve-seat; the provider's idempotency key derives from it.
  id              text PRIMARY KEY,
  order_id        uuid NOT NULL,
  attempt         integer NOT NULL CHECK (attempt > 0),
  amount_cents    integer NOT NULL CHECK (amount_cents > 0),
  currency        char(3) NOT NULL,
  payment_token   text NOT NULL,
  state           text NOT NULL CHECK (state IN ('requested', 'authorising', 'approved', 'declined', 'failed')),
  -- What the buyer reads when it is not approved: declined, insufficient funds, provider unavailable.
  reason          text,
  provider_payment_id text,
  -- A call may have reached the provider without our hearing its answer: reconciliation asks.
  outcome_unknown boolean NOT NULL DEFAULT false,
  -- Give up (provider unavailable) by then, so the buyer can try again before their hold runs out.
  give_up_at      timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_unsettled ON payments (updated_at) WHERE state IN ('requested', 'authorising') OR outcome_unknown;

-- Every call to the provider: when, what, how long, how it went.
CREATE TABLE provider_calls (
  id          bigserial PRIMARY KEY,
  payment_id  text NOT NULL REFERENCES payments (id),
  operation   text NOT NULL CHECK (operation IN ('charge', 'lookup', 'refund')),
  started_at  timestamptz NOT NULL,
  latency_ms  integer NOT NULL,
  http_status integer,
  outcome     text NOT NULL
);
CREATE INDEX provider_calls_by_payment ON provider_calls (payment_id, id);

-- At most one refund per payment.
CREATE TABLE refunds (
  payment_id         text PRIMARY KEY REFERENCES payments (id),
  amount_cents       integer NOT NULL CHECK (amount_cents > 0),
  reason             text NOT NULL,
  state              text NOT NULL CHECK (state IN ('requested', 'refunded')),
  provider_refund_id text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_pending ON refunds (updated_at) WHERE state = 'requested';

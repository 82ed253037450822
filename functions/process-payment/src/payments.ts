import type pg from 'pg';
import { paymentApproved, paymentRejected, type PaymentRequested } from '@premiere/contracts';
import type { EventToEmit, Logger, Transaction } from '@premiere/runtime';
import { movePayment } from './payment-state-machine';
import {
  PaymentProvider,
  ProviderRefused,
  ProviderUnavailable,
  type ChargeOutcome,
  type ProviderCall,
} from './provider';
import type { PaymentMetrics } from './metrics';

/** What a charge needs of `premiere.payment.requested`. */
export type PaymentRequest = Omit<PaymentRequested, 'showId'>;

export interface Worker {
  db: pg.Pool;
  transaction<T>(fn: (tx: Transaction) => Promise<T>): Promise<T>;
  provider: PaymentProvider;
  metrics: PaymentMetrics;
  giveUpSeconds: number;
}

/** What the buyer reads when a payment fails for want of an answer. */
export const PROVIDER_UNAVAILABLE = 'provider unavailable';
/** Fail this long before the hold runs out, so the buyer can still try again in time. */
const HOLD_MARGIN_MS = 10_000;
/** The one lookup after giving up on an unanswered charge. */
const LOOKUP_MS = 3_000;

/** Records a call to the provider against its payment (provider_calls). */
export const recorder = (db: pg.Pool, paymentId: string) => async (call: ProviderCall) => {
  await db.query(
    'INSERT INTO provider_calls (payment_id, operation, started_at, latency_ms, http_status, outcome) VALUES ($1, $2, $3, $4, $5, $6)',
    [paymentId, call.operation, call.startedAt, call.latencyMs, call.httpStatus, call.outcome],
  );
};

/**
 * `premiere.payment.requested`: charge the buyer once, whatever happens.
 *
 * The payment is recorded on its first delivery and marked `authorising` before the provider is
 * called (committed, so a worker that dies here leaves a trace reconciliation settles). The charge
 * goes with an idempotency key derived from the payment id, so a redelivery, a duplicate running
 * beside it, or our own retry gets the provider's first answer, never a second charge. The outcome
 * and its event are committed together, and only by whoever moves the payment out of
 * `authorising` first: one event per payment.
 */
export async function processPaymentRequest(w: Worker, log: Logger, request: PaymentRequest): Promise<void> {
  // Give up in time for the buyer to try again before their hold runs out.
  const giveUpAt = new Date(
    Math.max(
      Date.now() + 1_000,
      Math.min(Date.now() + w.giveUpSeconds * 1000, Date.parse(request.holdExpiresAt) - HOLD_MARGIN_MS),
    ),
  );
  await w.db.query(
    `INSERT INTO payments (id, order_id, attempt, amount_cents, currency, payment_token, state, give_up_at)
       VALUES ($1, $2, $3, $4, $5, $6, 'requested', $7) ON CONFLICT (id) DO NOTHING`,
    [
      request.paymentId,
      request.orderId,
      request.attempt,
      request.amountCents,
      request.currency,
      request.paymentToken,
      giveUpAt,
    ],
  );
  const { rows } = await w.db.query<{ state: string; give_up_at: Date }>(
    'SELECT state, give_up_at FROM payments WHERE id = $1',
    [request.paymentId],
  );
  if (!(await movePayment(w.db, log, request.paymentId, 'authorising'))) return; // settled before: its event went out then
  log.info(
    { paymentId: request.paymentId, delivery: rows[0].state === 'requested' ? 'first' : 'again' },
    'authorising payment',
  );

  const record = recorder(w.db, request.paymentId);
  let outcome: ChargeOutcome | null;
  let unknown = false;
  try {
    outcome = await w.provider.charge(
      {
        id: request.paymentId,
        orderId: request.orderId,
        amountCents: request.amountCents,
        currency: request.currency,
        paymentToken: request.paymentToken,
      },
      rows[0].give_up_at.getTime(),
      record,
    );
  } catch (err) {
    if (err instanceof ProviderRefused) {
      log.error(
        { err, paymentId: request.paymentId },
        'the payment provider refused the charge request; check the provider settings',
      );
      outcome = null;
    } else if (err instanceof ProviderUnavailable) {
      log.warn(
        { paymentId: request.paymentId, reason: err.message, outcomeUnknown: err.outcomeUnknown },
        'giving up on the payment provider',
      );
      // A charge that may have gone through is looked up once; if even that fails, the payment fails
      // now (the buyer may try again) and reconciliation asks again later, approving it if it was made.
      outcome = err.outcomeUnknown
        ? await w.provider
            .lookup(request.paymentId, Date.now() + LOOKUP_MS, record)
            .catch(() => ((unknown = true), null))
        : null;
    } else {
      throw err; // our database: the broker redelivers, and the same key asks again
    }
  }
  await settlePayment(w, log, request.paymentId, outcome, { outcomeUnknown: unknown });
}

/** A payment's row, as its approval announces it. */
export interface ApprovedPayment {
  id: string;
  order_id: string;
  attempt: number;
  amount_cents: number;
  currency: string;
  provider_payment_id: string | null;
}

/** `premiere.payment.approved` for a payment: when it is approved, and again if reserve-seat never acknowledges it. */
export const approvalEvent = (p: ApprovedPayment): EventToEmit =>
  paymentApproved.event({
    paymentId: p.id,
    orderId: p.order_id,
    attempt: p.attempt,
    amountCents: p.amount_cents,
    currency: p.currency,
    providerPaymentId: p.provider_payment_id,
  });

/**
 * Moves a payment out of `authorising` (or `failed`, for a charge found later) with the
 * provider's outcome, and announces it to reserve-seat in the same transaction. null: no charge
 * was made (as far as anyone can tell), the payment fails as provider unavailable.
 */
export async function settlePayment(
  w: Pick<Worker, 'transaction' | 'metrics'>,
  log: Logger,
  paymentId: string,
  outcome: ChargeOutcome | null,
  opts: { outcomeUnknown: boolean },
): Promise<boolean> {
  const to = outcome?.status ?? 'failed';
  const reason = outcome === null ? PROVIDER_UNAVAILABLE : outcome.status === 'declined' ? outcome.reason : null;
  const moved = await w.transaction(async (tx) => {
    if (
      !(await movePayment(tx, log, paymentId, to, {
        reason,
        providerPaymentId: outcome?.providerPaymentId ?? null,
        outcomeUnknown: opts.outcomeUnknown,
      }))
    )
      return false;
    const { rows } = await tx.query<ApprovedPayment>(
      'SELECT id, order_id, attempt, amount_cents, currency, provider_payment_id FROM payments WHERE id = $1',
      [paymentId],
    );
    const p = rows[0];
    await tx.emit(
      to === 'approved'
        ? approvalEvent(p)
        : paymentRejected.event({ paymentId, orderId: p.order_id, attempt: p.attempt, reason: reason! }),
    );
    return true;
  });
  if (moved) {
    w.metrics.payments.labels(to).inc();
    log.info({ paymentId, state: to, reason }, 'payment settled');
  }
  return moved;
}

/**
 * What reserve-seat did with an approval (`premiere.payment.settled`'s outcome): `confirmed`,
 * `seats_lost` (it asks for a refund), `paid_twice` (another payment had paid the order: refund),
 * `settled_already`, and `not_requested` / `unknown_order`: it never asked for this payment (its
 * attempt, amount or currency), so it confirmed nothing and asks for a refund. Any other outcome a
 * newer reserve-seat sends is acknowledged all the same.
 */
export const UNREQUESTED_OUTCOMES = ['not_requested', 'unknown_order'];
/** The outcomes that leave a charge without tickets: the payment is given back. */
export const REFUND_OUTCOMES = ['seats_lost', 'paid_twice', ...UNREQUESTED_OUTCOMES];

/**
 * reserve-seat settled the order with this approval (`premiere.payment.settled`): stop announcing
 * it. One it never requested was charged on a request that did not come from it as it stands
 * (forged, or altered): operators are told. An outcome that leaves the charge without tickets
 * records the refund here, in the same transaction, so it is owed even if reserve-seat's
 * `premiere.refund.requested` is lost (dead-lettered): reconciliation sends refunds still
 * requested, and the request arriving finds the refund already recorded.
 */
export async function acknowledgeApproval(
  tx: Pick<Transaction, 'query'>,
  log: Logger,
  metrics: PaymentMetrics,
  data: { paymentId: string; orderId: string; outcome: string },
): Promise<void> {
  const { rowCount } = await tx.query(
    "UPDATE payments SET order_settled_at = now() WHERE id = $1 AND state = 'approved' AND order_settled_at IS NULL",
    [data.paymentId],
  );
  if (REFUND_OUTCOMES.includes(data.outcome)) {
    const { rowCount: owed } = await tx.query(
      `INSERT INTO refunds (payment_id, amount_cents, reason, state)
         SELECT id, amount_cents, $2, 'requested' FROM payments WHERE id = $1 AND state = 'approved'
       ON CONFLICT (payment_id) DO NOTHING`,
      [data.paymentId, `reserve-seat settled the payment as ${data.outcome}`],
    );
    if (owed)
      log.info(
        { paymentId: data.paymentId, orderId: data.orderId, outcome: data.outcome },
        'a charge without tickets: refund recorded, to be sent',
      );
  }
  if (rowCount && UNREQUESTED_OUTCOMES.includes(data.outcome)) {
    metrics.unrequested.inc();
    log.warn(
      { paymentId: data.paymentId, orderId: data.orderId, outcome: data.outcome },
      'charged a payment reserve-seat never requested; it is refunded',
    );
  }
}

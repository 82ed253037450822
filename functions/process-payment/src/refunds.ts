import { refundCompleted } from '@premiere/contracts';
import type { Logger } from '@premiere/runtime';
import { recorder, type Worker } from './payments';

/** How long one delivery keeps trying the provider; after that the broker (or reconciliation) tries again. */
const REFUND_TRY_MS = 20_000;

export interface RefundRequest {
  orderId: string;
  paymentId: string;
  amountCents: number;
  reason: string;
}

/**
 * `premiere.refund.requested`: give an approved payment back, once. The refund is recorded first
 * (one per payment), sent with an idempotency key derived from the payment, and marked refunded
 * with `premiere.refund.completed` in one transaction. A refund already done changes nothing; one
 * whose provider call fails stays requested, and the broker's redelivery or reconciliation
 * finishes it.
 */
export async function processRefund(w: Worker, log: Logger, request: RefundRequest): Promise<void> {
  const { rows } = await w.db.query<{ state: string; provider_payment_id: string | null; amount_cents: number }>(
    'SELECT state, provider_payment_id, amount_cents FROM payments WHERE id = $1',
    [request.paymentId],
  );
  const payment = rows[0];
  if (!payment || payment.state !== 'approved' || !payment.provider_payment_id) {
    // Nothing of ours to give back (reserve-seat only asks for payments we approved).
    log.warn(
      { paymentId: request.paymentId, state: payment?.state ?? null },
      'refund requested for a payment that was not approved here; nothing to refund',
    );
    return;
  }
  await w.db.query(
    "INSERT INTO refunds (payment_id, amount_cents, reason, state) VALUES ($1, $2, $3, 'requested') ON CONFLICT (payment_id) DO NOTHING",
    [request.paymentId, payment.amount_cents, request.reason],
  );
  await refund(w, log, request.paymentId, payment.provider_payment_id, Date.now() + REFUND_TRY_MS);
}

/**
 * Sends a recorded, unfinished refund to the provider and finishes it; true if this call finished
 * it. Throws if the provider cannot be heard.
 */
export async function refund(
  w: Worker,
  log: Logger,
  paymentId: string,
  providerPaymentId: string,
  deadline: number,
): Promise<boolean> {
  const { rows } = await w.db.query<{ state: string }>('SELECT state FROM refunds WHERE payment_id = $1', [paymentId]);
  if (rows[0]?.state !== 'requested') return false;
  const { refundId } = await w.provider.refund(paymentId, providerPaymentId, deadline, recorder(w.db, paymentId));
  const done = await w.transaction(async (tx) => {
    const { rows: finished } = await tx.query(
      "UPDATE refunds SET state = 'refunded', provider_refund_id = $2, updated_at = now() WHERE payment_id = $1 AND state = 'requested' RETURNING amount_cents",
      [paymentId, refundId],
    );
    if (finished.length === 0) return false; // a duplicate finished it first
    const { rows: p } = await tx.query('SELECT order_id, currency FROM payments WHERE id = $1', [paymentId]);
    await tx.emit(
      refundCompleted.event({
        orderId: p[0].order_id,
        paymentId,
        amountCents: finished[0].amount_cents,
        currency: p[0].currency,
        providerRefundId: refundId,
      }),
    );
    return true;
  });
  if (done) {
    w.metrics.refunds.inc();
    log.info({ paymentId }, 'refund completed');
  }
  return done;
}

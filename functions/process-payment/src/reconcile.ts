import type { Logger } from '@premiere/runtime';
import { movePayment } from './payment-state-machine';
import { approvalEvent, recorder, settlePayment, type ApprovedPayment, type Worker } from './payments';
import { refund } from './refunds';
import type { ChargeOutcome } from './provider';

/** One lookup's time, and how many payments one run settles at most (the next run takes the rest). */
const LOOKUP_MS = 5_000;
const BATCH = 100;

/**
 * The reconciliation schedule: payments nobody settled within `stuckSeconds` (a worker killed
 * mid-payment, a provider that never answered) are settled by asking the provider what it did
 * with their idempotency key; a payment failed for want of an answer is approved after all if
 * the provider turns out to have charged it (reserve-seat then books or refunds it); approvals
 * reserve-seat has not acknowledged (`premiere.payment.settled`) are announced again; refunds still
 * requested are sent again. Nothing needs a human; a provider that cannot be reached now is asked
 * on the next run.
 */
export async function reconcile(
  w: Worker,
  log: Logger,
  stuckSeconds: number,
): Promise<{ settled: number; resent: number; refunded: number; unreachable: number }> {
  const { rows } = await w.db.query<{ id: string; state: string }>(
    `SELECT id, state FROM payments
      WHERE (state IN ('requested', 'authorising') OR (state = 'failed' AND outcome_unknown))
        AND updated_at < now() - make_interval(secs => $1)
      ORDER BY updated_at LIMIT ${BATCH}`,
    [stuckSeconds],
  );
  let settled = 0;
  let unreachable = 0;
  for (const p of rows) {
    let found: ChargeOutcome | null;
    try {
      found = await w.provider.lookup(p.id, Date.now() + LOOKUP_MS, recorder(w.db, p.id));
    } catch (err) {
      unreachable++;
      log.warn(
        { paymentId: p.id, err: (err as Error).message },
        'reconciliation: the provider could not be asked; next run',
      );
      continue;
    }
    let outcome: string;
    if (p.state === 'failed') {
      // Failed without knowing whether it was charged: a charge found now is an approval after all.
      if (found?.status === 'approved')
        outcome = (await settlePayment(w, log, p.id, found, { outcomeUnknown: false })) ? 'approved_late' : 'unchanged';
      else {
        await w.db.query(
          "UPDATE payments SET outcome_unknown = false, updated_at = now() WHERE id = $1 AND state = 'failed'",
          [p.id],
        );
        outcome = 'not_charged';
      }
    } else {
      await movePayment(w.db, log, p.id, 'authorising'); // a worker that died before asking the provider
      outcome = (await settlePayment(w, log, p.id, found, { outcomeUnknown: false }))
        ? (found?.status ?? 'failed')
        : 'unchanged';
    }
    if (outcome !== 'unchanged') settled++;
    w.metrics.reconciled.labels(outcome).inc();
    log.info({ paymentId: p.id, was: p.state, outcome }, 'reconciled a stuck payment');
  }

  // Approvals reserve-seat has not acknowledged (the delivery ran out of retries, or its handler
  // kept failing): announced again, as the same payment, which it settles once.
  const { rows: unheard } = await w.db.query<ApprovedPayment>(
    `SELECT id, order_id, attempt, amount_cents, currency, provider_payment_id FROM payments
      WHERE state = 'approved' AND order_settled_at IS NULL
        AND coalesce(announced_at, updated_at) < now() - make_interval(secs => $1)
      ORDER BY updated_at LIMIT ${BATCH}`,
    [stuckSeconds],
  );
  for (const p of unheard) {
    await w.transaction(async (tx) => {
      await tx.query('UPDATE payments SET announced_at = now() WHERE id = $1', [p.id]);
      await tx.emit(approvalEvent(p));
    });
    w.metrics.reconciled.labels('approval_resent').inc();
    log.warn(
      { paymentId: p.id, orderId: p.order_id },
      'reconciliation: an approval reserve-seat never acknowledged, announced again',
    );
  }

  const { rows: refunds } = await w.db.query<{ payment_id: string; provider_payment_id: string }>(
    `SELECT r.payment_id, p.provider_payment_id FROM refunds r JOIN payments p ON p.id = r.payment_id
      WHERE r.state = 'requested' AND r.updated_at < now() - make_interval(secs => $1) ORDER BY r.updated_at LIMIT ${BATCH}`,
    [stuckSeconds],
  );
  let refunded = 0;
  for (const r of refunds) {
    try {
      if (await refund(w, log, r.payment_id, r.provider_payment_id, Date.now() + LOOKUP_MS)) refunded++;
    } catch (err) {
      unreachable++;
      log.warn({ paymentId: r.payment_id, err: (err as Error).message }, 'reconciliation: refund not sent; next run');
    }
  }
  return { settled, resent: unheard.length, refunded, unreachable };
}

import {
  attemptOf,
  orderConfirmed,
  paymentIdOf,
  paymentRequested,
  paymentSettled,
  refundRequested,
} from '@premiere/contracts';
import type { Logger, Redis, Transaction } from '@premiere/runtime';
import { refreshSeatAvailability } from './availability';
import { LegacyRefused, type LegacyClient } from './legacy';
import { HOLDING_STATES, transitionOrder, type OrderState } from './order-state-machine';
import { OrderRefused } from './orders';
import { newTicketCode } from './tickets';
import { endVisit, type Visits } from './visits';

/** What an approval or a rejection says it answers. */
export interface PaymentAnswer {
  orderId: string;
  paymentId: string;
}
export interface Approval extends PaymentAnswer {
  amountCents: number;
  currency: string;
}

/**
 * The buyer pays: the order waits for the payment, and `premiere.payment.requested` goes to
 * process-payment through the outbox, in one transaction. 409 unless the order holds seats and is
 * not already paying.
 */
export async function requestPayment(tx: Transaction, log: Logger, orderId: string, paymentToken: string) {
  const { rows } = await tx.query(
    'SELECT show_id, state, total_cents, currency, hold_expires_at FROM orders WHERE id = $1 FOR UPDATE',
    [orderId],
  );
  const order = rows[0];
  if (order.state !== 'pending_payment' || order.hold_expires_at.getTime() <= Date.now()) {
    if (order.state === 'pending_payment')
      throw new OrderRefused(409, 'hold_expired', 'the hold ran out: choose your seats again');
    throw new OrderRefused(409, 'order_closed', `the order is ${order.state.replace('_', ' ')}`);
  }
  const { rows: attempts } = await tx.query<{ attempt: number }>(
    'INSERT INTO payment_requests (order_id, attempt, amount_cents) SELECT $1, count(*) + 1, $2 FROM payment_requests WHERE order_id = $1 RETURNING attempt',
    [orderId, order.total_cents],
  );
  const attempt = attempts[0].attempt;
  await transitionOrder(tx, log, {
    orderId,
    to: 'awaiting_payment',
    cause: `payment ${attempt} submitted`,
    rejectionReason: null,
  });
  const paymentId = paymentIdOf(orderId, attempt);
  await tx.emit(
    paymentRequested.event({
      paymentId,
      orderId,
      showId: order.show_id,
      attempt,
      amountCents: order.total_cents,
      currency: order.currency,
      paymentToken,
      holdExpiresAt: order.hold_expires_at.toISOString(),
    }),
  );
  return { orderId, state: 'awaiting_payment' as const, paymentId };
}

/**
 * A payment was approved. Waiting for it: the seats are booked for good in the legacy system, the
 * order confirmed, a ticket issued per seat, `premiere.order.confirmed` sent (the bouncer lets the
 * next visitor in). If the seats were lost meanwhile (the hold expired, the buyer gave up, or the
 * legacy system no longer has the hold): `refund_required` and `premiere.refund.requested`.
 *
 * The booking is made first, outside any transaction, so no database connection waits on the
 * legacy system (or for a slot of its bulkhead); booking a hold twice is harmless. The expiry sweep
 * does not expire an order whose hold is booked (see `endHold`), so the order is still there to
 * confirm. The rest is one transaction; a redelivery changes nothing.
 */
export async function paymentApproved(
  zone: {
    db: Pick<Transaction, 'query'>;
    transaction: <T>(fn: (tx: Transaction) => Promise<T>) => Promise<T>;
    legacy: LegacyClient;
    redis: Redis;
    visits?: Pick<Visits, 'forget'>;
  },
  log: Logger,
  data: Approval,
) {
  // Only an approval of what was asked for counts (the attempt, its amount, the order's currency):
  // requests are never changed once written, so this is checked once, before anything is booked.
  const { attempt } = attemptOf(data.paymentId);
  const { rows } = await zone.db.query<{
    state: OrderState;
    hold_id: string | null;
    show_id: string;
    visitor: number;
    currency: string;
    requested_cents: number | null;
  }>(
    `SELECT o.state, o.hold_id, o.show_id, o.visitor, o.currency, r.amount_cents AS requested_cents
       FROM orders o LEFT JOIN payment_requests r ON r.order_id = o.id AND r.attempt = $2
      WHERE o.id = $1`,
    [data.orderId, attempt],
  );
  const unrequested = whyNotRequested(rows[0], data);
  if (unrequested) {
    await zone.transaction((tx) => refuseApproval(tx, log, data, unrequested));
    return;
  }
  let hold: 'booked' | 'gone' | 'untouched' = 'untouched';
  if (rows[0] && HOLDING_STATES.includes(rows[0].state) && rows[0].hold_id) {
    try {
      await zone.legacy.confirm(rows[0].hold_id);
      hold = 'booked';
    } catch (err) {
      if (!(err instanceof LegacyRefused && err.status === 410)) throw err; // busy: the broker redelivers
      hold = 'gone';
    }
  }
  const outcome = await zone.transaction((tx) => settleApproval(tx, log, zone.redis, data, hold));
  if (outcome === 'confirmed') zone.visits?.forget(rows[0].show_id, rows[0].visitor);
}

/** Why an approval is not of a payment this order asked for (null: it is). */
function whyNotRequested(
  order: { currency: string; requested_cents: number | null } | undefined,
  data: Approval,
): string | null {
  if (!order) return 'no such order';
  if (attemptOf(data.paymentId).orderId !== data.orderId)
    return `the payment ${data.paymentId} is not one of this order's`;
  if (order.requested_cents === null) return `this order never asked for payment ${data.paymentId}`;
  if (order.requested_cents !== data.amountCents || order.currency !== data.currency) {
    return `this order asked for ${order.requested_cents} ${order.currency}, not ${data.amountCents} ${data.currency}`;
  }
  return null;
}

/**
 * An approval of a payment reserve-seat never asked for (forged, or made from a forged request):
 * the order is left as it is, whatever was charged is given back, and the approval acknowledged
 * (`not_requested`, or `unknown_order`) so process-payment stops announcing it.
 */
async function refuseApproval(tx: Transaction, log: Logger, data: Approval, why: string) {
  log.warn(
    { orderId: data.orderId, paymentId: data.paymentId, amountCents: data.amountCents, currency: data.currency, why },
    'payment approved that reserve-seat never requested: refund asked, nothing confirmed',
  );
  const outcome = why === 'no such order' ? 'unknown_order' : 'not_requested';
  await tx.emit(
    refundRequested.event({
      orderId: data.orderId,
      paymentId: data.paymentId,
      amountCents: data.amountCents,
      currency: data.currency,
      reason: `the payment was not requested: ${why}`,
    }),
  );
  await tx.emit(paymentSettled.event({ paymentId: data.paymentId, orderId: data.orderId, outcome }));
}

async function settleApproval(
  tx: Transaction,
  log: Logger,
  redis: Redis,
  data: PaymentAnswer,
  hold: 'booked' | 'gone' | 'untouched',
) {
  const outcome = await applyApproval(tx, log, redis, data, hold);
  // Every approval, a repeat too, is acknowledged: process-payment announces it again until then.
  await tx.emit(paymentSettled.event({ paymentId: data.paymentId, orderId: data.orderId, outcome }));
  return outcome;
}

/** The audit trail's cause of a confirmation: it names the payment that paid the order. */
const paidCause = (paymentId: string) => `payment ${paymentId} approved`;

/** What the approval did to its order: confirmed it, found its seats lost, or nothing (settled already, or no such order). */
async function applyApproval(
  tx: Transaction,
  log: Logger,
  redis: Redis,
  data: PaymentAnswer,
  hold: 'booked' | 'gone' | 'untouched',
): Promise<'confirmed' | 'seats_lost' | 'paid_twice' | 'settled_already' | 'unknown_order'> {
  const { rows } = await tx.query(
    'SELECT id, show_id, visitor, state, hold_id, total_cents, currency FROM orders WHERE id = $1 FOR UPDATE',
    [data.orderId],
  );
  const order = rows[0];
  if (!order) {
    log.warn({ orderId: data.orderId }, 'payment approved for an unknown order; ignored');
    return 'unknown_order';
  }
  // This attempt marked approved, and whether another one was already (seen as before the mark).
  // `$1 || ':' || attempt` is paymentIdOf (@premiere/contracts) in SQL.
  const { rows: others } = await tx.query(
    `WITH marked AS (UPDATE payment_requests SET outcome = 'approved' WHERE order_id = $1 AND $1 || ':' || attempt = $2)
     SELECT 1 FROM payment_requests WHERE order_id = $1 AND outcome = 'approved' AND $1 || ':' || attempt <> $2`,
    [data.orderId, data.paymentId],
  );
  let state = order.state as OrderState;
  if (state === 'refund_required') {
    // No seats, no tickets: every approval of this order is given back. Asked again on the same
    // approval announced again (the first request may have been lost); process-payment refunds once.
    await tx.emit(
      refundRequested.event({
        orderId: order.id,
        paymentId: data.paymentId,
        amountCents: order.total_cents,
        currency: order.currency,
        reason: 'the seats were lost before the payment was approved',
      }),
    );
    return 'seats_lost';
  }
  if (state === 'confirmed') {
    // The approval that paid the order, again, changes nothing; any other payment of it is given back.
    const { rows: paidBy } = await tx.query(
      "SELECT 1 FROM order_transitions WHERE order_id = $1 AND to_state = 'confirmed' AND cause = $2",
      [order.id, paidCause(data.paymentId)],
    );
    if (paidBy.length === 0 && others.length > 0) {
      await tx.emit(
        refundRequested.event({
          orderId: order.id,
          paymentId: data.paymentId,
          amountCents: order.total_cents,
          currency: order.currency,
          reason: 'the order was already paid',
        }),
      );
      return 'paid_twice';
    }
    return 'settled_already';
  }
  if (state === 'pending_payment') {
    // An approval arriving after its attempt was written off (a late answer): it still counts.
    await transitionOrder(tx, log, {
      orderId: order.id,
      to: 'awaiting_payment',
      cause: `payment ${data.paymentId} approved late`,
    });
    state = 'awaiting_payment';
  }
  const seatsLost = state === 'expired' || state === 'cancelled' || hold === 'gone';
  // Holding when we looked, so it was booked then (or the hold was gone).
  if (!seatsLost && order.hold_id && hold !== 'booked')
    throw new Error(`order ${order.id} was not holding seats when its approval was read, and is now`);
  if (seatsLost) {
    await transitionOrder(tx, log, {
      orderId: order.id,
      to: 'refund_required',
      cause: 'payment approved after the seats were lost',
    });
    await tx.query('DELETE FROM seat_claims WHERE order_id = $1', [order.id]);
    await refreshSeatAvailability(tx.query, redis, tx.emit, order.show_id);
    await tx.emit(
      refundRequested.event({
        orderId: order.id,
        paymentId: data.paymentId,
        amountCents: order.total_cents,
        currency: order.currency,
        reason: 'the seats were lost before the payment was approved',
      }),
    );
    return 'seats_lost';
  }
  await transitionOrder(tx, log, { orderId: order.id, to: 'confirmed', cause: paidCause(data.paymentId) });
  await endVisit(tx, order.show_id, order.visitor, 'order_confirmed');
  const { rows: seats } = await tx.query<{ seat: string }>(
    'SELECT seat FROM order_seats WHERE order_id = $1 ORDER BY seat',
    [order.id],
  );
  const tickets = seats.map((s) => ({ seat: s.seat, code: newTicketCode() }));
  await tx.query(
    'INSERT INTO tickets (code, order_id, show_id, seat) SELECT code, $3, $4, seat FROM unnest($1::text[], $2::text[]) AS t (code, seat)',
    [tickets.map((t) => t.code), tickets.map((t) => t.seat), order.id, order.show_id],
  );
  await tx.emit(orderConfirmed.event({ orderId: order.id, showId: order.show_id, visitor: order.visitor, tickets }));
  await refreshSeatAvailability(tx.query, redis, tx.emit, order.show_id);
  return 'confirmed';
}

/**
 * A payment was rejected: back to pending payment, with the reason the buyer reads. Only a
 * rejection of the order's latest attempt does that: one of an attempt never requested changes
 * nothing, and a late one of an earlier attempt must not let the buyer pay a second time while the
 * latest is still with the provider.
 */
export async function paymentRejected(tx: Transaction, log: Logger, data: PaymentAnswer & { reason: string }) {
  // `$1 || ':' || attempt` is paymentIdOf (@premiere/contracts) in SQL.
  const { rows: rejected } = await tx.query(
    `UPDATE payment_requests SET outcome = 'rejected', reason = $3 WHERE order_id = $1 AND $1 || ':' || attempt = $2
     RETURNING attempt = (SELECT max(attempt) FROM payment_requests WHERE order_id = $1) AS latest`,
    [data.orderId, data.paymentId, data.reason],
  );
  if (rejected.length === 0) {
    log.warn(
      { orderId: data.orderId, paymentId: data.paymentId },
      'payment rejected that reserve-seat never requested; ignored',
    );
    return;
  }
  if (!rejected[0].latest) return; // a redelivery, after the buyer tried again: that try decides
  const { rows } = await tx.query('SELECT state FROM orders WHERE id = $1', [data.orderId]);
  if (rows[0]?.state !== 'awaiting_payment') return; // expired meanwhile, or unknown: nothing to undo
  await transitionOrder(tx, log, {
    orderId: data.orderId,
    to: 'pending_payment',
    cause: `payment ${data.paymentId} rejected: ${data.reason}`,
    rejectionReason: data.reason,
  });
}

import type { Logger, Transaction } from '@premiere/runtime';

/**
 * The order state machine: one transition table, and the one function that changes an order's
 * state. Every change is recorded (order_transitions: from, to, cause, time); an illegal one is
 * refused and logged, and changes nothing.
 *
 *   pending_payment ──payment submitted──► awaiting_payment ──approved──► confirmed
 *         ▲                                      │
 *         └─────────────rejected─────────────────┘ (retry while the hold lasts)
 *   pending_payment | awaiting_payment ──hold ran out──► expired
 *   pending_payment ──buyer gave up──► cancelled
 *   awaiting_payment | expired | cancelled ──approved, seats lost──► refund_required
 */
export const ORDER_STATES = [
  'pending_payment',
  'awaiting_payment',
  'confirmed',
  'expired',
  'cancelled',
  'refund_required',
] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** to-state by from-state: what may follow what. */
export const ORDER_TRANSITIONS: Readonly<Record<OrderState, readonly OrderState[]>> = {
  pending_payment: ['awaiting_payment', 'expired', 'cancelled'],
  awaiting_payment: ['confirmed', 'pending_payment', 'expired', 'refund_required'],
  confirmed: [],
  expired: ['refund_required'],
  cancelled: ['refund_required'],
  refund_required: [],
};

/** The states an order holds seats in (its hold is live). */
export const HOLDING_STATES: readonly OrderState[] = ['pending_payment', 'awaiting_payment'];

export class IllegalTransition extends Error {
  constructor(
    readonly orderId: string,
    readonly from: OrderState | null,
    readonly to: OrderState,
  ) {
    super(from === null ? `order ${orderId} does not exist` : `order ${orderId} cannot go from ${from} to ${to}`);
    this.name = 'IllegalTransition';
  }
}

export const canTransition = (from: OrderState, to: OrderState) => ORDER_TRANSITIONS[from].includes(to);

/**
 * Moves an order to `to` inside the caller's transaction (the order's row locked until it
 * commits), recording the cause; throws IllegalTransition, after logging it, when the table does
 * not allow it. Returns the state it came from.
 */
export async function transitionOrder(
  tx: Transaction,
  log: Logger,
  change: { orderId: string; to: OrderState; cause: string; rejectionReason?: string | null },
): Promise<OrderState> {
  const { rows } = await tx.query<{ state: OrderState }>('SELECT state FROM orders WHERE id = $1 FOR UPDATE', [
    change.orderId,
  ]);
  const from = rows[0]?.state ?? null;
  if (from === null || !canTransition(from, change.to)) {
    const err = new IllegalTransition(change.orderId, from, change.to);
    log.warn({ orderId: change.orderId, from, to: change.to, cause: change.cause }, 'illegal order transition refused');
    throw err;
  }
  // The change and its record in one statement (the row is locked above).
  await tx.query(
    `WITH moved AS (
       UPDATE orders SET state = $2, updated_at = now(),
              rejection_reason = CASE WHEN $4::boolean THEN $3 ELSE rejection_reason END
        WHERE id = $1)
     INSERT INTO order_transitions (order_id, from_state, to_state, cause) VALUES ($1, $5, $2, $6)`,
    [
      change.orderId,
      change.to,
      change.rejectionReason ?? null,
      change.rejectionReason !== undefined,
      from,
      change.cause,
    ],
  );
  return from;
}

import type { Logger, Transaction } from '@premiere/runtime';

/**
 * The payment state machine: one transition table, and the one function that changes a payment's
 * state. A change that is not in the table (a duplicate delivery settling a payment that is
 * settled already, say) changes nothing and says so.
 *
 *   requested ──► authorising ──► approved | declined | failed
 *   failed ──► approved   (reconciliation found a charge the provider made after we gave up)
 */
export const PAYMENT_STATES = ['requested', 'authorising', 'approved', 'declined', 'failed'] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

export const PAYMENT_TRANSITIONS: Readonly<Record<PaymentState, readonly PaymentState[]>> = {
  requested: ['authorising'],
  authorising: ['authorising', 'approved', 'declined', 'failed'],
  approved: [],
  declined: [],
  failed: ['approved'],
};

const fromStates = (to: PaymentState) => PAYMENT_STATES.filter((from) => PAYMENT_TRANSITIONS[from].includes(to));

/**
 * Moves a payment to `to` if its current state allows it, with what is known about the outcome.
 * Returns false (and changes nothing) otherwise.
 */
export async function movePayment(
  tx: Pick<Transaction, 'query'>,
  log: Logger,
  paymentId: string,
  to: PaymentState,
  fields: { reason?: string | null; providerPaymentId?: string | null; outcomeUnknown?: boolean } = {},
): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE payments
        SET state = $2, reason = $3, provider_payment_id = coalesce($4, provider_payment_id),
            outcome_unknown = coalesce($5, outcome_unknown), updated_at = now()
      WHERE id = $1 AND state = ANY($6)`,
    [
      paymentId,
      to,
      fields.reason ?? null,
      fields.providerPaymentId ?? null,
      fields.outcomeUnknown ?? null,
      fromStates(to),
    ],
  );
  if (rowCount === 0) log.info({ paymentId, to }, 'payment not moved: it is settled already, or unknown');
  return rowCount === 1;
}

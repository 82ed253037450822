import Joi from 'joi';
import { defineEvent } from '../event';
import { amountCents, currency, orderId, paymentId } from '../ids';

/** Give an approved payment back, once (process-payment refunds what it charged, whatever `amountCents` says). */
export interface RefundRequested {
  orderId: string;
  paymentId: string;
  amountCents: number;
  currency: string;
  reason: string;
}

export const refundRequested = defineEvent({
  type: 'premiere.refund.requested',
  data: Joi.object<RefundRequested>({
    orderId,
    paymentId,
    amountCents,
    currency,
    reason: Joi.string().max(500).required(),
  }),
  subject: (d) => d.orderId,
});

import Joi from 'joi';
import { defineEvent } from '../event';
import { orderId, paymentId } from '../ids';

/** Declined, or the provider unavailable until the bound. */
export interface PaymentRejected {
  paymentId: string;
  orderId: string;
  attempt: number;
  /** Words the buyer reads: declined, insufficient funds or provider unavailable. */
  reason: string;
}

export const paymentRejected = defineEvent({
  type: 'premiere.payment.rejected',
  data: Joi.object<PaymentRejected>({
    paymentId,
    orderId,
    attempt: Joi.number().integer().min(1).required(),
    reason: Joi.string().max(200).required(),
  }),
  subject: (d) => d.orderId,
});

import Joi from 'joi';
import { defineEvent } from '../event';
import { amountCents, currency, orderId, paymentId } from '../ids';

/** The provider charged the card (announced again until reserve-seat settles it). */
export interface PaymentApproved {
  paymentId: string;
  orderId: string;
  attempt: number;
  amountCents: number;
  currency: string;
  providerPaymentId: string | null;
}

export const paymentApproved = defineEvent({
  type: 'premiere.payment.approved',
  data: Joi.object<PaymentApproved>({
    paymentId,
    orderId,
    attempt: Joi.number().integer().min(1).required(),
    // What was approved must be what was asked for: reserve-seat checks both against its request.
    amountCents,
    currency,
    providerPaymentId: Joi.string().allow(null).required(),
  }),
  subject: (d) => d.orderId,
});

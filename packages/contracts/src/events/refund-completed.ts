import Joi from 'joi';
import { defineEvent } from '../event';
import { amountCents, currency, orderId, paymentId } from '../ids';

/** The provider refunded the payment. */
export interface RefundCompleted {
  orderId: string;
  paymentId: string;
  amountCents: number;
  currency: string;
  providerRefundId: string | null;
}

export const refundCompleted = defineEvent({
  type: 'premiere.refund.completed',
  data: Joi.object<RefundCompleted>({
    orderId,
    paymentId,
    amountCents,
    currency,
    providerRefundId: Joi.string().allow(null).required(),
  }),
  subject: (d) => d.orderId,
});

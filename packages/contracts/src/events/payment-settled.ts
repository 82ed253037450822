import Joi from 'joi';
import { defineEvent } from '../event';
import { orderId, paymentId } from '../ids';

/**
 * What reserve-seat did with an approval (every delivery of one). process-payment takes any
 * outcome word, so a newer reserve-seat's is never refused.
 */
export interface PaymentSettled {
  paymentId: string;
  orderId: string;
  /** confirmed, seats_lost, paid_twice, settled_already, not_requested, unknown_order */
  outcome: string;
}

export const paymentSettled = defineEvent({
  type: 'premiere.payment.settled',
  data: Joi.object<PaymentSettled>({
    paymentId,
    orderId,
    outcome: Joi.string()
      .pattern(/^[a-z_]{1,50}$/)
      .required(),
  }),
  subject: (d) => d.orderId,
});

import Joi from 'joi';
import { defineEvent } from '../event';
import { amountCents, currency, isoTime, orderId, paymentId, PAYMENT_TOKEN_PATTERN, showId } from '../ids';

/** The buyer paid: charge them once (process-payment keys its idempotency on `paymentId`). */
export interface PaymentRequested {
  paymentId: string;
  orderId: string;
  showId: string;
  attempt: number;
  amountCents: number;
  currency: string;
  /** The provider's token for the card; never logged. */
  paymentToken: string;
  /** Fail before this. */
  holdExpiresAt: string;
}

export const paymentRequested = defineEvent({
  type: 'premiere.payment.requested',
  data: Joi.object<PaymentRequested>({
    paymentId,
    orderId,
    showId,
    attempt: Joi.number().integer().min(1).required(),
    amountCents,
    currency,
    // The message never repeats the value: a card number sent by mistake must not reach a log.
    paymentToken: Joi.string().pattern(PAYMENT_TOKEN_PATTERN).required().messages({
      'string.pattern.base': '"paymentToken" must be the provider’s token for the card',
      'string.base': '"paymentToken" must be a string',
    }),
    holdExpiresAt: isoTime,
  }),
  subject: (d) => d.orderId,
});

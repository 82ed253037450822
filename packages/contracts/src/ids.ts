import Joi from 'joi';

/**
 * The ids several functions read and write, defined once. The catalog's ids (a show, movie,
 * cinema, room, extra; a show id is the legacy cinema's too): lowercase letters, digits and "-",
 * at most 64. The same rule is SQL's `catalog_id` domain (render-catalog migration 001).
 */
export const CATALOG_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const isShowId = (value: unknown): value is string =>
  typeof value === 'string' && CATALOG_ID_PATTERN.test(value);
export const SHOW_ID_MESSAGE = '"showId" must be a show id: lowercase letters, digits and "-"';
/** A show id, required, refused with a message saying what one is. */
export const showId = Joi.string()
  .pattern(CATALOG_ID_PATTERN)
  .required()
  .messages({ 'string.pattern.base': SHOW_ID_MESSAGE });

/** An order id: reserve-seat's, a UUID. */
export const orderId = Joi.string().guid().required();

/** A visitor number (`vid` in the waiting room's tokens), unique within a show. */
export const visitorNumber = Joi.number().integer().min(1).required();

/** An amount of money in cents, and its ISO 4217 currency. */
export const amountCents = Joi.number().integer().min(1).required();
export const currency = Joi.string()
  .pattern(/^[A-Z]{3}$/)
  .required();

/**
 * The payment id: `<order id>:<attempt>`, one per attempt to pay an order, never per delivery.
 * process-payment keys its idempotency on it; reserve-seat reads the attempt back from it. SQL
 * that compares one (reserve-seat's payments.ts, audit.ts) spells it `order_id || ':' || attempt`.
 */
export const paymentIdOf = (order: string, attempt: number): string => `${order}:${attempt}`;
export const PAYMENT_ID_PATTERN = /^[0-9a-f-]{36}:[1-9][0-9]{0,5}$/;
/** The order and attempt a payment id names. */
export function attemptOf(paymentId: string): { orderId: string; attempt: number } {
  const at = paymentId.lastIndexOf(':');
  return { orderId: paymentId.slice(0, at), attempt: Number(paymentId.slice(at + 1)) };
}
export const paymentId = Joi.string()
  .pattern(PAYMENT_ID_PATTERN)
  .required()
  .messages({ 'string.pattern.base': '"paymentId" must be "<order id>:<attempt>"' });

/** The payment provider's token for a card, as the buyer's page sends it and process-payment charges it. */
export const PAYMENT_TOKEN_PATTERN = /^[A-Za-z0-9_-]{3,128}$/;

/** A time on the wire: ISO 8601 (a consumer gets it as `toISOString()` writes it). */
export const isoTime = Joi.string().isoDate().required();

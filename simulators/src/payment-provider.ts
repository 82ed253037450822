import { createHash, randomUUID } from 'node:crypto';
import type Hapi from '@hapi/hapi';
import Joi from 'joi';
import { pickLatency, simulatorServer, sleep } from './common';

/**
 * A stand-in for a card payment provider: authorise-and-capture and refund, with idempotency keys
 * (a repeated key returns the first result, never a second charge) and test payment-method tokens
 * that decline, time out or fail, like the big providers' test cards. State is in memory.
 */
export interface PaymentProviderOptions {
  port: number;
  /** The address to listen on (default 0.0.0.0). */
  host?: string;
  latencyMs: [number, number];
  /** How long `tok_timeout` keeps the caller waiting (the charge is made all the same). */
  hangMs: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
}

/** The test tokens; any other `tok_…` is approved. */
export const TEST_TOKENS = {
  tok_visa: 'approved',
  tok_decline: 'declined: card_declined',
  tok_insufficient_funds: 'declined: insufficient_funds',
  tok_timeout: `approved, but the answer comes only after PAYMENT_HANG_MS`,
  tok_fail: 'HTTP 500 every time, nothing charged',
  tok_flaky: 'HTTP 503 on the first try of each idempotency key, then approved',
} as const;

interface Payment {
  id: string;
  status: 'approved' | 'declined';
  decline_code: string | null;
  amount: number;
  currency: string;
  reference: string | null;
  refunded: boolean;
  created_at: string;
}

interface Stored {
  fingerprint: string;
  code: number;
  body: unknown;
}

const fingerprint = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

export function createPaymentProvider(opts: PaymentProviderOptions): Hapi.Server {
  const server = simulatorServer(opts.port, opts.host);
  const payments = new Map<string, Payment>();
  const byKey = new Map<string, Stored>(); // `${scope} ${idempotency key}` → first answer
  const working = new Map<string, Promise<Stored | undefined>>(); // the same, while it is worked on
  const paymentByKey = new Map<string, string>();
  const flakySeen = new Set<string>();
  const stats = { requests: 0, charges: 0, declines: 0, refunds: 0, replays: 0, failures: 0 };
  const since = new Date().toISOString();

  const keyHeader = Joi.object({
    'idempotency-key': Joi.string().min(8).max(255).required(),
    authorization: opts.apiKey
      ? Joi.string().valid(`Bearer ${opts.apiKey}`).required().messages({ 'any.only': 'invalid API key' })
      : Joi.any(),
  }).unknown();
  const readHeaders = Joi.object({
    authorization: opts.apiKey
      ? Joi.string().valid(`Bearer ${opts.apiKey}`).required().messages({ 'any.only': 'invalid API key' })
      : Joi.any(),
  }).unknown();

  /** Answers a repeated key with its first answer; a reused key with other parameters is refused. */
  const idempotent = async (
    scope: string,
    request: Hapi.Request,
    h: Hapi.ResponseToolkit,
    run: () => Promise<Stored | null>,
  ) => {
    stats.requests++;
    await sleep(pickLatency(opts.latencyMs));
    const key = `${scope} ${request.headers['idempotency-key']}`;
    const print = fingerprint([request.params, request.payload]);
    // A repeat while the first request with its key is still being worked on waits for its answer.
    const previous = byKey.get(key) ?? (await working.get(key));
    if (previous) {
      if (previous.fingerprint !== print) {
        return h
          .response({ error: 'idempotency_key_in_use', message: 'this idempotency key was used with other parameters' })
          .code(422);
      }
      stats.replays++;
      return h
        .response(previous.body as object)
        .code(previous.code)
        .header('idempotent-replayed', 'true');
    }
    const work = run().then((stored) => {
      if (stored) byKey.set(key, Object.assign(stored, { fingerprint: print }));
      return stored ?? undefined;
    });
    working.set(key, work);
    const stored = await work.finally(() => working.delete(key));
    if (!stored)
      return h
        .response({ error: 'processing_error', message: 'the provider failed; retry with the same idempotency key' })
        .code(500);
    return h.response(stored.body as object).code(stored.code);
  };

  server.route([
    {
      method: 'POST',
      path: '/v1/payments',
      options: {
        validate: {
          headers: keyHeader,
          payload: Joi.object({
            amount: Joi.number().integer().min(1).required(),
            currency: Joi.string().length(3).uppercase().required(),
            payment_method: Joi.string()
              .pattern(/^tok_[A-Za-z0-9_]+$/)
              .required(),
            reference: Joi.string().max(200),
          }),
        },
      },
      handler: (request, h) => {
        const body = request.payload as {
          amount: number;
          currency: string;
          payment_method: string;
          reference?: string;
        };
        const key = String(request.headers['idempotency-key']);
        if (body.payment_method === 'tok_flaky' && !flakySeen.has(key)) {
          flakySeen.add(key);
          stats.requests++;
          return h.response({ error: 'service_unavailable' }).code(503);
        }
        if (body.payment_method === 'tok_fail') {
          stats.requests++;
          stats.failures++;
          return h.response({ error: 'processing_error' }).code(500);
        }
        return idempotent('payment', request, h, async () => {
          const decline =
            body.payment_method === 'tok_decline'
              ? 'card_declined'
              : body.payment_method === 'tok_insufficient_funds'
                ? 'insufficient_funds'
                : null;
          const payment: Payment = {
            id: `pay_${randomUUID().replace(/-/g, '')}`,
            status: decline ? 'declined' : 'approved',
            decline_code: decline,
            amount: body.amount,
            currency: body.currency,
            reference: body.reference ?? null,
            refunded: false,
            created_at: new Date().toISOString(),
          };
          payments.set(payment.id, payment);
          paymentByKey.set(key, payment.id);
          if (decline) stats.declines++;
          else stats.charges++;
          // The charge is made; only the answer is late (the case that tests idempotent retries).
          if (body.payment_method === 'tok_timeout') await sleep(opts.hangMs);
          return { fingerprint: '', code: decline ? 402 : 201, body: payment };
        });
      },
    },
    {
      method: 'GET',
      path: '/v1/payments/{id}',
      options: { validate: { headers: readHeaders } },
      handler: (request, h) =>
        payments.get(String(request.params.id)) ?? h.response({ error: 'no such payment' }).code(404),
    },
    {
      // Lookup by the idempotency key a charge was made with: how a client settles a timed-out call.
      method: 'GET',
      path: '/v1/payments',
      options: { validate: { headers: readHeaders, query: Joi.object({ idempotency_key: Joi.string().required() }) } },
      handler: (request, h) => {
        const id = paymentByKey.get(String(request.query.idempotency_key));
        return (id && payments.get(id)) || h.response({ error: 'no payment with that idempotency key' }).code(404);
      },
    },
    {
      method: 'POST',
      path: '/v1/payments/{id}/refunds',
      options: { validate: { headers: keyHeader } },
      handler: (request, h) =>
        idempotent('refund', request, h, async () => {
          const payment = payments.get(String(request.params.id));
          if (!payment) return { fingerprint: '', code: 404, body: { error: 'no such payment' } };
          if (payment.status !== 'approved')
            return { fingerprint: '', code: 409, body: { error: 'payment_not_captured' } };
          if (payment.refunded) return { fingerprint: '', code: 409, body: { error: 'charge_already_refunded' } };
          payment.refunded = true;
          stats.refunds++;
          return {
            fingerprint: '',
            code: 201,
            body: {
              id: `re_${randomUUID().replace(/-/g, '')}`,
              payment_id: payment.id,
              amount: payment.amount,
              status: 'succeeded',
            },
          };
        }),
    },
    { method: 'GET', path: '/stats', handler: () => ({ ...stats }) },
    // Every charge as the provider keeps it (since this process started): what `npm run chaos`
    // checks our record against (one charge per paid order, a refund for every charge without tickets).
    { method: 'GET', path: '/records', handler: () => ({ since, payments: [...payments.values()] }) },
    {
      method: 'POST',
      path: '/stats/reset',
      handler: (_r, h) => {
        for (const k of Object.keys(stats) as (keyof typeof stats)[]) stats[k] = 0;
        return h.response().code(204);
      },
    },
  ]);
  return server;
}

import Joi from 'joi';
import { ConfigError, type FunctionContext, type FunctionDefinition } from '@premiere/runtime';
import { processPaymentEnv, type ProcessPaymentEnv } from './env';
import { paymentMetrics } from './metrics';
import { acknowledgeApproval, processPaymentRequest, type Worker } from './payments';
import { PaymentProvider } from './provider';
import { reconcile } from './reconcile';
import { processRefund } from './refunds';

/** What the handlers share: built once per process by setup (the provider client owns metrics). */
function createWorker(ctx: FunctionContext<ProcessPaymentEnv>): Worker {
  const { config } = ctx;
  return {
    db: ctx.db,
    transaction: ctx.transaction,
    provider: new PaymentProvider({ url: config.PAYMENT_PROVIDER_URL, apiKey: config.PAYMENT_PROVIDER_API_KEY, timeoutMs: config.PAYMENT_TIMEOUT_MS, registry: ctx.metrics.registry }),
    metrics: paymentMetrics(ctx.metrics.registry),
    giveUpSeconds: config.PAYMENT_GIVE_UP_SECONDS,
  };
}

const ID = Joi.string().guid().required();
const PAYMENT_ID = Joi.string().pattern(/^[0-9a-f-]{36}:[1-9][0-9]{0,5}$/).required().messages({ 'string.pattern.base': '"paymentId" must be "<order id>:<attempt>"' });

/**
 * process-payment: a worker with no public route. It charges the buyer on
 * `premiere.payment.requested`, refunds on `premiere.refund.requested`, hears on
 * `premiere.payment.settled` that an approval was acted on, and answers with events
 * through the outbox; the provider is never waited on inside a transaction. Reconciliation (a
 * schedule) settles what a dead worker or a silent provider left unsettled.
 */
export const processPayment: FunctionDefinition<ProcessPaymentEnv, Worker> = {
  name: 'process-payment',
  env: processPaymentEnv,
  setup: createWorker,
  // Reconciliation must not settle a payment a worker is still retrying: it would race the worker's own outcome.
  checkConfig: (config) => {
    const busySeconds = config.PAYMENT_GIVE_UP_SECONDS + Math.ceil(config.PAYMENT_TIMEOUT_MS / 1000);
    if (config.PAYMENT_STUCK_SECONDS <= busySeconds) {
      throw new ConfigError('PAYMENT_STUCK_SECONDS', `PAYMENT_STUCK_SECONDS must be longer than PAYMENT_GIVE_UP_SECONDS plus one call's timeout (${busySeconds} s now), got ${config.PAYMENT_STUCK_SECONDS}`);
    }
  },
  events: {
    'premiere.payment.requested': {
      data: Joi.object({
        paymentId: PAYMENT_ID,
        orderId: ID,
        attempt: Joi.number().integer().min(1).required(),
        amountCents: Joi.number().integer().min(1).required(),
        currency: Joi.string().pattern(/^[A-Z]{3}$/).required(),
        // The message never repeats the value: a card number sent by mistake must not reach a log.
        paymentToken: Joi.string().pattern(/^[A-Za-z0-9_-]{3,128}$/).required().messages({ 'string.pattern.base': '"paymentToken" must be the provider’s token for the card', 'string.base': '"paymentToken" must be a string' }),
        holdExpiresAt: Joi.date().iso().required(),
      }),
      work: ({ data, deps: worker, log }) => processPaymentRequest(worker, log, { ...data, holdExpiresAt: data.holdExpiresAt.toISOString() }),
    },
    // reserve-seat has settled the order with this approval: it need not be announced again. Any
    // outcome is taken (see acknowledgeApproval), so a newer reserve-seat's is never refused.
    'premiere.payment.settled': {
      data: Joi.object({ paymentId: PAYMENT_ID, orderId: ID, outcome: Joi.string().pattern(/^[a-z_]{1,50}$/).required() }),
      handle: ({ data, tx, deps: worker, log }) => acknowledgeApproval(tx, log, worker.metrics, data),
    },
    'premiere.refund.requested': {
      data: Joi.object({ orderId: ID, paymentId: PAYMENT_ID, amountCents: Joi.number().integer().min(1).required(), reason: Joi.string().max(500).required() }),
      work: ({ data, deps: worker, log }) => processRefund(worker, log, data),
    },
  },
  schedules: {
    // Calls the provider: no transaction is held open meanwhile.
    reconciliation: {
      work: async ({ ctx, deps: worker, log }) => {
        const result = await reconcile(worker, log, ctx.config.PAYMENT_STUCK_SECONDS);
        if (result.settled || result.resent || result.refunded || result.unreachable) log.info(result, 'reconciliation done');
      },
    },
  },
};

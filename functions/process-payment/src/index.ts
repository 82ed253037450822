import { paymentRequested, paymentSettled, refundRequested } from '@premiere/contracts';
import { ConfigError, eventHandlers, on, type FunctionContext, type FunctionDefinition } from '@premiere/runtime';
import { processPaymentEnv, type ProcessPaymentEnv } from './env';
import { paymentMetrics } from './metrics';
import { acknowledgeApproval, processPaymentRequest, type Worker } from './payments';
import { PaymentProvider } from './provider';
import { reconcile } from './reconcile';
import { processRefund } from './refunds';

const workers = new WeakMap<FunctionContext<ProcessPaymentEnv>, Worker>();

/** What the handlers share: built once per process (the provider client owns metrics). */
function worker(ctx: FunctionContext<ProcessPaymentEnv>): Worker {
  let w = workers.get(ctx);
  if (!w) {
    const { config } = ctx;
    w = {
      db: ctx.db,
      transaction: ctx.transaction,
      provider: new PaymentProvider({ url: config.PAYMENT_PROVIDER_URL, apiKey: config.PAYMENT_PROVIDER_API_KEY, timeoutMs: config.PAYMENT_TIMEOUT_MS, registry: ctx.metrics.registry }),
      metrics: paymentMetrics(ctx.metrics.registry),
      giveUpSeconds: config.PAYMENT_GIVE_UP_SECONDS,
    };
    workers.set(ctx, w);
  }
  return w;
}

/**
 * process-payment: a worker with no public route. It charges the buyer on
 * `premiere.payment.requested`, refunds on `premiere.refund.requested`, hears on
 * `premiere.payment.settled` that an approval was acted on, and answers with events
 * through the outbox; the provider is never waited on inside a transaction. Reconciliation (a
 * schedule) settles what a dead worker or a silent provider left unsettled.
 */
export const processPayment: FunctionDefinition<ProcessPaymentEnv> = {
  name: 'process-payment',
  env: processPaymentEnv,
  // Reconciliation must not settle a payment a worker is still retrying: it would race the worker's own outcome.
  checkConfig: (config) => {
    const busySeconds = config.PAYMENT_GIVE_UP_SECONDS + Math.ceil(config.PAYMENT_TIMEOUT_MS / 1000);
    if (config.PAYMENT_STUCK_SECONDS <= busySeconds) {
      throw new ConfigError('PAYMENT_STUCK_SECONDS', `PAYMENT_STUCK_SECONDS must be longer than PAYMENT_GIVE_UP_SECONDS plus one call's timeout (${busySeconds} s now), got ${config.PAYMENT_STUCK_SECONDS}`);
    }
  },
  events: eventHandlers(
    on(paymentRequested, { work: ({ data, ctx, log }) => processPaymentRequest(worker(ctx), log, data) }),
    // reserve-seat has settled the order with this approval: it need not be announced again. Any
    // outcome is taken (see acknowledgeApproval), so a newer reserve-seat's is never refused.
    on(paymentSettled, { handle: ({ data, tx, ctx, log }) => acknowledgeApproval(tx, log, worker(ctx).metrics, data) }),
    on(refundRequested, { work: ({ data, ctx, log }) => processRefund(worker(ctx), log, data) }),
  ),
  schedules: {
    // Calls the provider: no transaction is held open meanwhile.
    reconciliation: {
      work: async ({ ctx, log }) => {
        const result = await reconcile(worker(ctx), log, ctx.config.PAYMENT_STUCK_SECONDS);
        if (result.settled || result.resent || result.refunded || result.unreachable) log.info(result, 'reconciliation done');
      },
    },
  },
};

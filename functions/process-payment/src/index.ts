import { paymentRequested, paymentSettled, refundRequested } from '@premiere/contracts';
import { ConfigError, eventHandlers, on, type FunctionContext, type FunctionDefinition } from '@premiere/runtime';
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
    provider: new PaymentProvider({
      url: config.PAYMENT_PROVIDER_URL,
      apiKey: config.PAYMENT_PROVIDER_API_KEY,
      timeoutMs: config.PAYMENT_TIMEOUT_MS,
      registry: ctx.metrics.registry,
    }),
    metrics: paymentMetrics(ctx.metrics.registry),
    giveUpSeconds: config.PAYMENT_GIVE_UP_SECONDS,
  };
}

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
      throw new ConfigError(
        'PAYMENT_STUCK_SECONDS',
        `PAYMENT_STUCK_SECONDS must be longer than PAYMENT_GIVE_UP_SECONDS plus one call's timeout (${busySeconds} s now), got ${config.PAYMENT_STUCK_SECONDS}`,
      );
    }
  },
  events: eventHandlers<FunctionContext<ProcessPaymentEnv>, Worker>(
    on(paymentRequested, { work: ({ data, deps: worker, log }) => processPaymentRequest(worker, log, data) }),
    // reserve-seat has settled the order with this approval: it need not be announced again. Any
    // outcome is taken (see acknowledgeApproval), so a newer reserve-seat's is never refused.
    on(paymentSettled, {
      handle: ({ data, tx, deps: worker, log }) => acknowledgeApproval(tx, log, worker.metrics, data),
    }),
    on(refundRequested, { work: ({ data, deps: worker, log }) => processRefund(worker, log, data) }),
  ),
  schedules: {
    // Calls the provider: no transaction is held open meanwhile.
    reconciliation: {
      work: async ({ ctx, deps: worker, log }) => {
        const result = await reconcile(worker, log, ctx.config.PAYMENT_STUCK_SECONDS);
        if (result.settled || result.resent || result.refunded || result.unreachable)
          log.info(result, 'reconciliation done');
      },
    },
  },
};

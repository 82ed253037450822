import { Counter, type Registry } from '@premiere/runtime';

/** process-payment's own metrics (the provider's latency and retries are PaymentProvider's). */
export function paymentMetrics(registry: Registry) {
  const registers = [registry];
  return {
    payments: new Counter({
      name: 'premiere_payments_total',
      help: 'Payments settled, by outcome (approved, declined, failed)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    refunds: new Counter({ name: 'premiere_refunds_total', help: 'Refunds completed', registers }),
    unrequested: new Counter({
      name: 'premiere_payments_unrequested_total',
      help: 'Approved payments reserve-seat had not asked for (a forged or altered payment request): refunded',
      registers,
    }),
    reconciled: new Counter({
      name: 'premiere_payments_reconciled_total',
      help: 'Stuck payments settled by reconciliation, by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
  };
}

export type PaymentMetrics = ReturnType<typeof paymentMetrics>;

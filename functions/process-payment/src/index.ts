import type { FunctionDefinition } from '@premiere/runtime';

/** process-payment: health and metrics for now; its behaviour comes with its issue. */
export const processPayment: FunctionDefinition = {
  name: 'process-payment',
};

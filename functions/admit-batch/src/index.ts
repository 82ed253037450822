import type { FunctionDefinition } from '@premiere/runtime';

/** admit-batch: health and metrics for now; its behaviour comes with its issue. */
export const admitBatch: FunctionDefinition = {
  name: 'admit-batch',
};

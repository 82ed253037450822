import type { FunctionDefinition } from '@premiere/runtime';

/** render-catalog: health and metrics for now; its behaviour comes with its issue. */
export const renderCatalog: FunctionDefinition = {
  name: 'render-catalog',
};

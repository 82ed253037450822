import type { FunctionDefinition } from '@premiere/runtime';

/** reserve-seat: health and metrics for now; its behaviour comes with its issue. */
export const reserveSeat: FunctionDefinition = {
  name: 'reserve-seat',
};

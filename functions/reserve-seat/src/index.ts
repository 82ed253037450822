import path from 'node:path';
import type { FunctionDefinition } from '@premiere/runtime';
import { reserveSeatEnv, type ReserveSeatEnv } from './env';
import { expireHolds } from './orders';
import { protectedZone, reserveSeatRoutes } from './routes';

/**
 * reserve-seat: the protected zone. Admitted visitors see the seat map, hold seats (an order) and
 * give them up; holds expire. The only caller of the cinema's legacy system, through a bulkhead
 * shared by every replica. (Payment and tickets come with the rest of its issue.)
 */
export const reserveSeat: FunctionDefinition<ReserveSeatEnv> = {
  name: 'reserve-seat',
  env: reserveSeatEnv,
  routes: reserveSeatRoutes,
  schedules: {
    'hold-expiry': async ({ ctx, log }) => {
      const expired = await expireHolds({ ...protectedZone(ctx).orders, log });
      if (expired) log.info({ expired }, 'expired holds released');
    },
  },
  redisScripts: path.resolve(__dirname, '../lua'),
};

import path from 'node:path';
import { paymentApproved, paymentRejected } from '@premiere/contracts';
import { eventHandlers, on, type FunctionContext, type FunctionDefinition } from '@premiere/runtime';
import { WAITING_ROOM_SCRIPTS } from '@premiere/waiting-room';
import { auditRoutes } from './audit';
import { reserveSeatEnv, type ReserveSeatEnv } from './env';
import { expireHolds } from './orders';
import { closeVisitsTimedOut } from './visits';
import { paymentApproved as onPaymentApproved, paymentRejected as onPaymentRejected } from './payments';
import { createProtectedZone, type ProtectedZone } from './protected-zone';
import { reserveSeatRoutes } from './routes';

/**
 * reserve-seat: the protected zone. Admitted visitors see the seat map, hold seats (an order) and
 * give them up; holds expire. The only caller of the cinema's legacy system, through a bulkhead
 * shared by every replica. Payment is requested of process-payment by event; its answer books
 * the seats and issues the tickets. Operators read every order's audit trail (audit.ts).
 */

export const reserveSeat: FunctionDefinition<ReserveSeatEnv, ProtectedZone> = {
  name: 'reserve-seat',
  env: reserveSeatEnv,
  setup: createProtectedZone,
  routes: (ctx, zone) => [...reserveSeatRoutes(ctx, zone), ...auditRoutes(ctx)],
  events: eventHandlers<FunctionContext<ReserveSeatEnv>, ProtectedZone>(
    // The seats are booked for good (or, if they were lost meanwhile, the payment refunded). What was
    // approved must be what was asked for: its amount and currency are checked against the request.
    on(paymentApproved, { work: ({ data, deps: zone, log }) => onPaymentApproved(zone.orders, log, data) }),
    on(paymentRejected, { handle: ({ data, tx, log }) => onPaymentRejected(tx, log, data) }),
  ),
  schedules: {
    // Releases holds in the legacy system: no transaction is held open meanwhile. Then records the
    // end of visits whose time is up with nothing held.
    'hold-expiry': {
      work: async ({ ctx, deps: zone, log }) => {
        const expired = await expireHolds({ ...zone.orders, log });
        if (expired) log.info({ expired }, 'expired holds released');
        const visitsOver = await closeVisitsTimedOut(ctx.transaction);
        if (visitsOver) log.info({ visitsOver }, 'visits whose time was up closed');
      },
    },
  },
  // Its own, and the waiting room's (a visitor Redis forgot is put back as admitted: reinstate.lua).
  redisScripts: [path.resolve(__dirname, '../lua'), WAITING_ROOM_SCRIPTS],
};

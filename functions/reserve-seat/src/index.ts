import path from 'node:path';
import type { FunctionDefinition } from '@premiere/runtime';
import { WAITING_ROOM_SCRIPTS } from '@premiere/waiting-room';
import Joi from 'joi';
import { auditRoutes } from './audit';
import { reserveSeatEnv, type ReserveSeatEnv } from './env';
import { expireHolds } from './orders';
import { closeVisitsTimedOut } from './visits';
import { paymentApproved, paymentRejected } from './payments';
import { createProtectedZone, type ProtectedZone } from './protected-zone';
import { reserveSeatRoutes } from './routes';

/**
 * reserve-seat: the protected zone. Admitted visitors see the seat map, hold seats (an order) and
 * give them up; holds expire. The only caller of the cinema's legacy system, through a bulkhead
 * shared by every replica. Payment is requested of process-payment by event; its answer books
 * the seats and issues the tickets. Operators read every order's audit trail (audit.ts).
 */
/** `<order id>:<attempt>`, as paymentIdOf makes it (process-payment refuses an acknowledgement of anything else). */
const PAYMENT_ID = Joi.string().pattern(/^[0-9a-f-]{36}:[1-9][0-9]{0,5}$/).required().messages({ 'string.pattern.base': '"paymentId" must be "<order id>:<attempt>"' });

export const reserveSeat: FunctionDefinition<ReserveSeatEnv, ProtectedZone> = {
  name: 'reserve-seat',
  env: reserveSeatEnv,
  setup: createProtectedZone,
  routes: (ctx, zone) => [...reserveSeatRoutes(ctx, zone), ...auditRoutes(ctx)],
  events: {
    // The seats are booked for good (or, if they were lost meanwhile, the payment refunded). What was
    // approved must be what was asked for: its amount and currency are checked against the request.
    'premiere.payment.approved': {
      data: Joi.object({
        orderId: Joi.string().guid().required(),
        paymentId: PAYMENT_ID,
        amountCents: Joi.number().integer().min(1).required(),
        currency: Joi.string().pattern(/^[A-Z]{3}$/).required(),
      }).unknown(),
      work: ({ data, deps: zone, log }) => paymentApproved(zone.orders, log, data),
    },
    'premiere.payment.rejected': {
      data: Joi.object({ orderId: Joi.string().guid().required(), paymentId: PAYMENT_ID, reason: Joi.string().max(200).required() }).unknown(),
      handle: ({ data, tx, log }) => paymentRejected(tx, log, data),
    },
  },
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

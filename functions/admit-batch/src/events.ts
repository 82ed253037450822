import {
  admissionExpired,
  holdExpired,
  holdReleased,
  orderConfirmed,
  visitorActive,
  visitorsWaiting,
} from '@premiere/contracts';
import {
  eventHandlers,
  on,
  type EventHandlerBody,
  type FunctionContext,
  type ScheduleHandler,
} from '@premiere/runtime';
import { forgetExpiredRoom, ROOM_KEPT_AFTER_START_MS, showsWithRooms, showsWithTokens } from '@premiere/waiting-room';
import type { Bouncer } from './bouncer';
import type { AdmitBatchEnv } from './env';

type Ctx = FunctionContext<AdmitBatchEnv>;
/** Handlers and schedules are given the function's bouncer (its setup makes it). */
type Handler<D> = EventHandlerBody<Ctx, D, Bouncer>;

const eventTime = (event: { time?: string }) => (event.time ? Date.parse(event.time) : undefined);

/** Someone may be waiting while the zone has room: fill it. */
const fill: Handler<{ showId: string }> = {
  handle: async ({ data, deps: bouncer, tx, log }) => {
    await bouncer.admit(data.showId, tx, log);
  },
};

/**
 * A visitor's visit to the zone is over: free their slot and admit the next in line. An order
 * confirmed made their token seats; a hold given up or run out ended the visit without an order,
 * and the token goes back to the show's quota (a sold-out show may go back on sale).
 */
const finished: Handler<{ showId: string; visitor: number }> = {
  handle: async ({ event, data, deps: bouncer, tx, log }) => {
    const ended = await bouncer.finish(
      data.showId,
      data.visitor,
      event.type === orderConfirmed.type ? 'seats' : 'none',
      tx,
      log,
    );
    await bouncer.admit(data.showId, tx, log, ended.freed ? eventTime(event) : undefined);
  },
};

/** A visitor in the zone is active until `until`: keep their slot that long. */
const active: Handler<{ showId: string; visitor: number; until: string }> = {
  handle: async ({ data, deps: bouncer }) => {
    await bouncer.extend(data.showId, data.visitor, Date.parse(data.until));
  },
};

export const admitBatchEvents = eventHandlers<Ctx, Bouncer>(
  on(visitorsWaiting, fill),
  on(admissionExpired, fill),
  on(orderConfirmed, finished),
  on(holdReleased, finished),
  on(holdExpired, finished),
  on(visitorActive, active),
);

/**
 * The safety net, every five minutes: an admission pass for every show with a waiting room, which
 * reclaims slots nobody gave back (lost events, closed tabs) and fills the zone; and for every show
 * that issued tokens (the durable ledger), so that a room Redis forgot is rebuilt even if nobody
 * asks for it.
 */
const sweep: ScheduleHandler<Ctx, Bouncer> = async ({ ctx, deps: bouncer, tx, log }) => {
  const withTokens = new Set(await showsWithTokens(ctx.db, new Date(Date.now() - ROOM_KEPT_AFTER_START_MS)));
  for (const id of new Set([...(await showsWithRooms(ctx.redis)), ...withTokens])) {
    if (!withTokens.has(id) && (await forgetExpiredRoom(ctx.redis, id))) continue; // the room outlived its show and expired
    await bouncer.admit(id, tx, log); // rebuilds a room Redis forgot
  }
};

export const admitBatchSchedules: Record<string, ScheduleHandler<Ctx, Bouncer>> = { 'admission-sweep': sweep };

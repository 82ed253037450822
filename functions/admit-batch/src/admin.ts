import Boom from '@hapi/boom';
import type { Request, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import { showAvailabilityChanged, showId } from '@premiere/contracts';
import { connectionAddress, operatorCheck, operatorRoute, type FunctionContext } from '@premiere/runtime';
import {
  Assumptions,
  changeRoomSettings,
  ensureRoom,
  quotaOf,
  readRoomState,
  ROOM_KEPT_AFTER_START_MS,
  showsWithRooms,
  showsWithTokens,
  type RoomSettings,
  type RoomState,
} from '@premiere/waiting-room';
import { legacyUsage, showDetails, type ShowDetails } from './admin-figures';
import { adminPage } from './admin-page';
import type { AdmitBatchEnv } from './env';
import type { Bouncer } from './bouncer';

type Ctx = FunctionContext<AdmitBatchEnv>;

const showParams = Joi.object({ showId });
const settings = Joi.object({
  capacity: Joi.number().integer().min(1).max(10_000),
  adaptive: Joi.boolean(),
  overbooking: Joi.number().min(0).max(1),
  // The live tokens one address may hold for this show (0: no cap); null: issue-token's default again.
  addressTokenCap: Joi.number().integer().min(0).max(1_000_000).allow(null),
})
  .or('capacity', 'adaptive', 'overbooking', 'addressTokenCap')
  .messages({
    'object.missing':
      'send "capacity" (1-10000), "adaptive" (true or false), "overbooking" (0-1) and/or "addressTokenCap" (0-1000000, 0: no cap; null: the default)',
  });

type Action = 'pause' | 'resume' | 'drain' | 'undrain' | 'settings';

/** A show as the operators see it: its room's live state, where and when it plays, its seats now. */
type ShowState = RoomState & Partial<ShowDetails>;

/** The operators' API and page: each show's live state; pause, resume, drain, capacity, overbooking. */
export function adminRoutes(ctx: Ctx, bouncer: Bouncer): ServerRoute[] {
  const authorize = operatorCheck(ctx.config.ADMIN_TOKEN);
  // The back of the line's wait as issue-token tells it (the same assumptions before anything is measured).
  const assumptions = new Assumptions(ctx.redis, ctx.config);

  /** The zone is sized by the bouncer only if the deployment lets it (ZONE_CAPACITY_ADAPTIVE). */
  const withSizing = (state: RoomState): RoomState => ({
    ...state,
    capacityAdaptive: state.capacityAdaptive && ctx.config.ZONE_CAPACITY_ADAPTIVE,
  });

  async function stateOf(showId: string): Promise<RoomState> {
    if (!(await ensureRoom(ctx.redis, ctx.db, showId, ctx.config))) throw Boom.notFound(`no show "${showId}"`);
    return withSizing((await readRoomState(ctx.redis, showId, await assumptions.get()))!);
  }

  /** The rooms' states with the catalog's facts and reserve-seat's seat counts beside them. */
  async function detailed(states: RoomState[]): Promise<ShowState[]> {
    const details = await showDetails(
      ctx.db,
      states.map((s) => s.showId),
    );
    return states.map((s) => ({ ...s, ...details.get(s.showId) }));
  }

  /**
   * Changes a room's settings (a null removes one: the default applies again) through the waiting
   * room's change-settings script (with the listing a new quota changes, in the same step):
   * logged, recorded, and followed by an admission pass.
   */
  async function act(request: Request, action: Action, changes: RoomSettings) {
    authorize(request);
    const client = connectionAddress(request); // for the record, read before anything changes
    const showId = request.params.showId as string;
    const before = await stateOf(showId);
    const changed = await changeRoomSettings(ctx.redis, showId, changes);
    // The room expired between the read and the change (its show is long over): nothing was written.
    if (!changed) throw Boom.notFound(`no waiting room for "${showId}"`);
    const { availability } = changed;
    const after = (await readRoomState(ctx.redis, showId, await assumptions.get()))!;
    const log = request.logger();
    await ctx.transaction(async (tx) => {
      await tx.query('INSERT INTO admin_actions (show_id, action, before, after, client) VALUES ($1, $2, $3, $4, $5)', [
        showId,
        action,
        before,
        after,
        client,
      ]);
      if (availability) await tx.emit(showAvailabilityChanged.event({ showId, availability }));
      await bouncer.admit(showId, tx, log);
    });
    log.info(
      {
        action,
        showId,
        changes,
        before: {
          capacity: before.capacity,
          quota: before.quota,
          paused: before.paused,
          draining: before.draining,
          addressTokenCap: before.addressTokenCap,
        },
      },
      'admin action',
    );
    const state = withSizing((await readRoomState(ctx.redis, showId, await assumptions.get()))!);
    // Done is done: the seat counts missing from the answer must not make the page say nothing changed.
    return detailed([state]).then(
      ([shown]) => shown,
      (err: Error) => {
        log.warn({ err: err.message, showId }, 'admin action done; its show details could not be read');
        return state;
      },
    );
  }

  const route = operatorRoute;

  return [
    {
      method: 'GET',
      path: '/admin',
      // Framed by another site, its buttons could be clicked by a trick: never framed.
      handler: (_request, h) =>
        h
          .response(adminPage())
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store')
          .header('content-security-policy', "frame-ancestors 'none'")
          .header('x-frame-options', 'DENY')
          .header('referrer-policy', 'no-referrer'),
    },
    route('GET', '/admin/api/shows', async (request) => {
      authorize(request);
      // The shows that issued tokens too (the durable ledger): a room Redis forgot is rebuilt, not left out.
      const withTokens = await showsWithTokens(ctx.db, new Date(Date.now() - ROOM_KEPT_AFTER_START_MS));
      const ids = [...new Set([...(await showsWithRooms(ctx.redis)), ...withTokens])].sort();
      for (const id of withTokens) await ensureRoom(ctx.redis, ctx.db, id, ctx.config);
      const assumed = await assumptions.get();
      const [states, legacy] = await Promise.all([
        Promise.all(ids.map((id) => readRoomState(ctx.redis, id, assumed))),
        legacyUsage(ctx.redis),
      ]);
      // `at`: when these were read, for rates between two polls (the page's charts).
      return {
        at: new Date().toISOString(),
        shows: await detailed(states.filter((s): s is RoomState => s !== null).map(withSizing)),
        legacy,
      };
    }),
    route(
      'GET',
      '/admin/api/shows/{showId}',
      async (request) => {
        authorize(request);
        return (await detailed([await stateOf(request.params.showId as string)]))[0];
      },
      { params: showParams },
    ),
    route('POST', '/admin/api/shows/{showId}/pause', (request) => act(request, 'pause', { paused: 1 }), {
      params: showParams,
    }),
    route('POST', '/admin/api/shows/{showId}/resume', (request) => act(request, 'resume', { paused: 0 }), {
      params: showParams,
    }),
    route('POST', '/admin/api/shows/{showId}/drain', (request) => act(request, 'drain', { draining: 1 }), {
      params: showParams,
    }),
    route('POST', '/admin/api/shows/{showId}/undrain', (request) => act(request, 'undrain', { draining: 0 }), {
      params: showParams,
    }),
    route(
      'PATCH',
      '/admin/api/shows/{showId}',
      async (request) => {
        authorize(request);
        const body = request.payload as {
          capacity?: number;
          adaptive?: boolean;
          overbooking?: number;
          addressTokenCap?: number | null;
        };
        if (body.adaptive && !ctx.config.ZONE_CAPACITY_ADAPTIVE)
          throw Boom.conflict('zones are not sized by the bouncer in this deployment (ZONE_CAPACITY_ADAPTIVE is off)');
        const current = await stateOf(request.params.showId as string);
        const changes: RoomSettings = {};
        // A capacity alone is fixed there; with "adaptive": true it is where the bouncer sizes from, and the least.
        if (body.capacity !== undefined) changes.capacity = body.capacity;
        if (body.capacity !== undefined || body.adaptive !== undefined) changes.capacityFixed = body.adaptive ? 0 : 1;
        if (body.capacity !== undefined && body.adaptive) changes.capacityBase = body.capacity;
        if (body.overbooking !== undefined) {
          changes.overbooking = body.overbooking;
          changes.quota = quotaOf(current.seats, body.overbooking);
        }
        if (body.addressTokenCap !== undefined) changes.addressCap = body.addressTokenCap;
        return act(request, 'settings', changes);
      },
      { params: showParams, payload: settings },
    ),
  ];
}

import { type FunctionContext } from '@premiere/runtime';
import { TokenSigner } from '@premiere/contracts';
import { ShowQueue, type AdmittedAs } from '@premiere/waiting-room';
import { seatsPerVisit, type ReserveSeatEnv } from './env';
import { LegacyClient } from './legacy';
import { SeatMaps } from './seat-map';
import { Visits } from './visits';

export type ProtectedZone = ReturnType<typeof createProtectedZone>;

/**
 * What reserve-seat needs to work, made once per process by its setup (its legacy client owns
 * metrics) and shared by its routes, event handlers and schedules.
 */
export function createProtectedZone(ctx: FunctionContext<ReserveSeatEnv>) {
  const legacy = new LegacyClient({
    config: ctx.config,
    redis: ctx.redis,
    registry: ctx.metrics.registry,
    log: ctx.log,
  });
  const admissionHolds = (showId: string, visitor: number, admitted?: AdmittedAs) =>
    ShowQueue.of(ctx.redis, showId).admissionHolds(visitor, admitted);
  const visits = new Visits({
    db: ctx.db,
    transaction: ctx.transaction,
    visitSeconds: ctx.config.ZONE_VISIT_SECONDS,
    admissionHolds,
  });
  return {
    signer: new TokenSigner(ctx.config.TOKEN_SIGNING_KEYS as unknown as Record<string, string>),
    seatMaps: new SeatMaps({ db: ctx.db, redis: ctx.redis, legacy, cacheMs: ctx.config.SEATMAP_CACHE_MS }),
    visits,
    orders: {
      db: ctx.db,
      redis: ctx.redis,
      transaction: ctx.transaction,
      legacy,
      log: ctx.log,
      holdSeconds: ctx.config.HOLD_SECONDS,
      maxSeatsPerVisit: seatsPerVisit(ctx.config),
      heldSeatsShareByAddress: ctx.config.ADDRESS_HELD_SEATS_SHARE,
      admissionHolds,
      visits,
    },
  };
}

import { showAvailabilityChanged, visitorsAdmitted } from '@premiere/contracts';
import { Counter, Gauge, Histogram, type FunctionContext, type Logger, type Transaction } from '@premiere/runtime';
import {
  ensureRoom,
  recordReturned,
  ShowQueue,
  type Admission,
  type Listing,
  type VisitEnd,
  type ZoneSizing,
} from '@premiere/waiting-room';
import type { AdmitBatchEnv } from './env';

type Ctx = FunctionContext<AdmitBatchEnv>;

/** How often a show's zone is sized: long enough to measure the legacy system over several calls. */
const ZONE_SIZING_INTERVAL_MS = 3_000;

function bouncerMetrics(ctx: Ctx) {
  const registers = [ctx.metrics.registry];
  return {
    admissions: new Counter({
      name: 'premiere_admissions_total',
      help: 'Visitors admitted into the protected zone, by show',
      labelNames: ['show'] as const,
      registers,
    }),
    reclaimed: new Counter({
      name: 'premiere_zone_slots_reclaimed_total',
      help: 'Zone slots whose lease ran out (admission unused, or the visitor left without a word), by show',
      labelNames: ['show'] as const,
      registers,
    }),
    passedOver: new Counter({
      name: 'premiere_visitors_passed_over_total',
      help: 'Waiting visitors who stopped polling, passed over when their turn came, by show',
      labelNames: ['show'] as const,
      registers,
    }),
    returned: new Counter({
      name: 'premiere_tokens_returned_total',
      help: 'Waiting-room tokens given back to their show’s quota, by show and why: lapsed (an admission unused, or the zone left without a word), passed_over (stopped polling), no_order (the visit ended with a hold given up or run out), unclaimed (nobody came back for it after a room was rebuilt)',
      labelNames: ['show', 'reason'] as const,
      registers,
    }),
    lag: new Histogram({
      name: 'premiere_admission_lag_seconds',
      help: 'From a zone slot falling free to the next visitor admitted',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers,
    }),
    queue: new Gauge({
      name: 'premiere_queue_length',
      help: 'Visitors waiting in line, by show (as of the last admission pass)',
      labelNames: ['show'] as const,
      registers,
    }),
    inside: new Gauge({
      name: 'premiere_zone_visitors',
      help: 'Visitors inside the protected zone, by show (as of the last admission pass)',
      labelNames: ['show'] as const,
      registers,
    }),
    capacity: new Gauge({
      name: 'premiere_zone_capacity',
      help: 'Visitors the protected zone takes at once, by show (sized by the bouncer unless an operator fixed it)',
      labelNames: ['show'] as const,
      registers,
    }),
    legacyUtilisation: new Gauge({
      name: 'premiere_legacy_utilisation',
      help: 'The legacy system’s busy time over its limit, as the bouncer last measured it for sizing zones (0-1)',
      registers,
    }),
  };
}

export type Bouncer = ReturnType<typeof createBouncer>;

/**
 * The bouncer: one admission pass for a show (size the zone to the legacy system's load, reclaim
 * lapsed slots, fill the zone from the head of the line), the end of a visit, their metrics, and
 * their events through the outbox: `premiere.visitors.admitted`, and
 * `premiere.show.availability.changed` when tokens given back put a sold-out show on sale again.
 */
export function createBouncer(ctx: Ctx) {
  const metrics = bouncerMetrics(ctx);
  const ttlMs = () => ctx.config.ADMISSION_TTL_SECONDS * 1000;
  const goneAfterMs = () => ctx.config.GONE_AFTER_SECONDS * 1000;
  const sizing: ZoneSizing = {
    intervalMs: ZONE_SIZING_INTERVAL_MS,
    maxCapacity: ctx.config.ZONE_CAPACITY_MAX,
    targetUtilisation: 0.9,
    waitHighMs: 2_000,
  };

  /** Grows or shrinks the zone with the legacy system's load (see adapt-capacity.lua). */
  async function resize(showId: string, log: Logger): Promise<void> {
    const resized = await ShowQueue.of(ctx.redis, showId).adaptCapacity(sizing);
    if (!resized || resized.utilisation === null) return;
    metrics.capacity.labels(showId).set(resized.capacity);
    metrics.legacyUtilisation.set(resized.utilisation);
    const seen = {
      showId,
      capacity: resized.capacity,
      legacyUtilisation: resized.utilisation,
      meanSlotWaitMs: resized.meanWaitMs,
    };
    if (resized.change) log.info({ ...seen, change: resized.change }, 'zone resized');
    else log.debug(seen, 'zone size kept');
  }

  /** Tokens came back and the show's listing changed (the value is already in Redis): the catalog is told. */
  async function relisted(showId: string, availability: '' | Listing, tx: Transaction, log: Logger): Promise<void> {
    if (!availability) return;
    await tx.emit(showAvailabilityChanged.event({ showId, availability }));
    log.info({ showId, availability }, 'tokens came back: listing changed');
  }

  return {
    /**
     * Admits what fits. `slotFreedAt`: when the slot that triggered this pass fell free, for the
     * admission lag. Redis changes first (atomic, safe to repeat); the event rides on `tx`.
     */
    async admit(showId: string, tx: Transaction, log: Logger, slotFreedAt?: number): Promise<Admission | null> {
      if (ctx.config.ZONE_CAPACITY_ADAPTIVE) await resize(showId, log);
      const queue = ShowQueue.of(ctx.redis, showId);
      let a = await queue.admit(ttlMs(), goneAfterMs());
      // Redis forgot the room: rebuilt from what is durable (it holds admissions while its visitors come back).
      if (!a && (await ensureRoom(ctx.redis, ctx.db, showId, ctx.config)))
        a = await queue.admit(ttlMs(), goneAfterMs());
      if (!a) {
        log.warn({ showId }, 'no waiting room for this show, and the catalog does not know it: nothing to admit');
        return null;
      }
      metrics.queue.labels(showId).set(a.waiting);
      metrics.inside.labels(showId).set(a.inside);
      if (a.reclaimed) metrics.reclaimed.labels(showId).inc(a.reclaimed);
      if (a.passedOver) metrics.passedOver.labels(showId).inc(a.passedOver);
      if (a.returned.lapsed) metrics.returned.labels(showId, 'lapsed').inc(a.returned.lapsed);
      if (a.returned.passedOver) metrics.returned.labels(showId, 'passed_over').inc(a.returned.passedOver);
      // Durably, so that a room rebuilt after Redis forgot it does not put these holders back in line.
      await recordReturned(tx, showId, a.given);
      if (a.returned.unclaimed) {
        metrics.returned.labels(showId, 'unclaimed').inc(a.returned.unclaimed);
        log.info(
          { showId, tokens: a.returned.unclaimed },
          'room recovered: tokens nobody came back for went back to the quota',
        );
      }
      await relisted(showId, a.availability, tx, log);
      if (a.admitted > 0) {
        metrics.admissions.labels(showId).inc(a.admitted);
        const freedAt = a.reclaimedSince ?? slotFreedAt;
        if (freedAt !== undefined) metrics.lag.observe(Math.max(0, a.now - freedAt) / 1000);
        await tx.emit(
          visitorsAdmitted.event({
            showId,
            count: a.admitted,
            firstPlace: a.firstPlace,
            lastPlace: a.lastPlace,
            admittedAt: new Date(a.now).toISOString(),
          }),
        );
        log.debug({ showId, ...a }, 'admitted');
      }
      return a;
    },

    /**
     * A visit to the zone ended: the slot is free, and the token became seats (an order
     * confirmed) or goes back to the quota (`none`). Safe to repeat.
     */
    async finish(
      showId: string,
      visitor: number,
      token: 'seats' | 'none',
      tx: Transaction,
      log: Logger,
    ): Promise<VisitEnd> {
      // A room Redis forgot is rebuilt first, from reserve-seat's visits (this visit's end among them).
      await ensureRoom(ctx.redis, ctx.db, showId, ctx.config);
      const ended = await ShowQueue.of(ctx.redis, showId).finish(visitor, token);
      if (ended.token === 1) metrics.returned.labels(showId, 'no_order').inc();
      if (ended.token === -1)
        log.info(
          { showId, visitor },
          'an order confirmed after the visitor’s token had come back: taken back as seats',
        );
      await relisted(showId, ended.availability, tx, log);
      return ended;
    },

    async extend(showId: string, visitor: number, untilMs: number): Promise<boolean> {
      return ShowQueue.of(ctx.redis, showId).extend(visitor, untilMs);
    },
  };
}

import { randomUUID } from 'node:crypto';
import type Hapi from '@hapi/hapi';
import type pg from 'pg';
import Joi from 'joi';
import { pickLatency, simulatorServer, sleep } from './common';

/**
 * A stand-in for the cinema chain's legacy seat system: slow, fragile, not ours. It lists a show's
 * seats, holds seats for a while, books a hold for good, and releases a hold. Above its
 * concurrency limit it answers 503 or stalls, and it counts the highest concurrency it has seen.
 * Its state is in memory, as a simulator's may be.
 */
export interface LegacyCinemaOptions {
  port: number;
  /** The address to listen on (default 0.0.0.0). */
  host?: string;
  /** A show's seat labels ("F12"), or null when the show is unknown. */
  seatsOf: (showId: string) => Promise<string[] | null>;
  latencyMs: [number, number];
  concurrencyLimit: number;
  holdSeconds: number;
  /** What happens above the limit: answer 503 at once, stall then 503, or either at random. */
  overload: '503' | 'stall' | 'mixed';
  stallMs: number;
}

interface Hold {
  id: string;
  showId: string;
  seats: string[];
  expiresAt: number;
  status: 'held' | 'booked' | 'released';
}

const SHOW_ID = Joi.string()
  .pattern(/^[a-z0-9][a-z0-9-]{0,63}$/)
  .required();
const SEAT = Joi.string().pattern(/^[A-Z]{1,2}[0-9]{1,3}$/);

/**
 * The simulator's seat maps from our catalog (the cinema's system and our catalog agree on them:
 * ours is imported from theirs): a show's seat labels, or null for a show the catalog does not know.
 */
export function catalogSeats(db: { query: pg.Pool['query'] }): LegacyCinemaOptions['seatsOf'] {
  return async (showId) => {
    const { rows } = await db.query<{ seat: string }>(
      `SELECT s.seat FROM render_catalog.shows sh JOIN render_catalog.seats s ON s.room_id = sh.room_id
        WHERE sh.id = $1 ORDER BY s.row_label, s.number`,
      [showId],
    );
    return rows.length ? rows.map((r) => r.seat) : null;
  };
}

export function createLegacyCinema(opts: LegacyCinemaOptions): Hapi.Server {
  const server = simulatorServer(opts.port, opts.host);
  const holds = new Map<string, Hold>();
  const seatHolds = new Map<string, string>(); // `${showId} ${seat}` → hold id (held or booked)
  const seatCache = new Map<string, string[]>();
  const started = Date.now();
  const stats = { inFlight: 0, maxConcurrency: 0, requests: 0, served: 0, rejected: 0, busyMs: 0, since: Date.now() };

  const isLive = (hold: Hold) => hold.status === 'booked' || (hold.status === 'held' && hold.expiresAt > Date.now());
  const holderOf = (showId: string, seat: string): Hold | undefined => {
    const id = seatHolds.get(`${showId} ${seat}`);
    const hold = id ? holds.get(id) : undefined;
    return hold && isLive(hold) ? hold : undefined;
  };
  const seatsOf = async (showId: string) => {
    let seats = seatCache.get(showId);
    if (!seats) {
      const found = await opts.seatsOf(showId);
      if (!found) return null;
      seatCache.set(showId, (seats = found));
    }
    return seats;
  };

  // Every call to the legacy API counts towards its concurrency, and pays its latency.
  const legacy =
    (handler: Hapi.Lifecycle.Method): Hapi.Lifecycle.Method =>
    async (request, h) => {
      stats.requests++;
      stats.inFlight++;
      stats.maxConcurrency = Math.max(stats.maxConcurrency, stats.inFlight);
      const started = Date.now();
      try {
        if (stats.inFlight > opts.concurrencyLimit) {
          stats.rejected++;
          const stall = opts.overload === 'stall' || (opts.overload === 'mixed' && Math.random() < 0.5);
          if (stall) await sleep(opts.stallMs);
          return h.response({ error: 'legacy system overloaded' }).code(503);
        }
        await sleep(pickLatency(opts.latencyMs));
        const result = await handler.call(null, request, h);
        stats.served++;
        stats.busyMs += Date.now() - started;
        return result;
      } finally {
        stats.inFlight--;
      }
    };

  server.route([
    {
      method: 'GET',
      path: '/shows/{showId}/seats',
      options: { validate: { params: Joi.object({ showId: SHOW_ID }) } },
      handler: legacy(async (request, h) => {
        const showId = String(request.params.showId);
        const seats = await seatsOf(showId);
        if (!seats) return h.response({ error: `unknown show ${showId}` }).code(404);
        return {
          showId,
          seats: seats.map((seat) => {
            const hold = holderOf(showId, seat);
            return { seat, status: hold ? hold.status : 'free' };
          }),
        };
      }),
    },
    {
      method: 'POST',
      path: '/shows/{showId}/holds',
      options: {
        validate: {
          params: Joi.object({ showId: SHOW_ID }),
          payload: Joi.object({ seats: Joi.array().items(SEAT.required()).min(1).max(20).unique().required() }),
        },
      },
      handler: legacy(async (request, h) => {
        const showId = String(request.params.showId);
        const { seats } = request.payload as { seats: string[] };
        const known = await seatsOf(showId);
        if (!known) return h.response({ error: `unknown show ${showId}` }).code(404);
        const unknown = seats.filter((s) => !known.includes(s));
        if (unknown.length) return h.response({ error: 'no such seats', seats: unknown }).code(422);
        const taken = seats.filter((s) => holderOf(showId, s));
        if (taken.length) return h.response({ error: 'seats not available', seats: taken }).code(409);
        const hold: Hold = {
          id: randomUUID(),
          showId,
          seats,
          expiresAt: Date.now() + opts.holdSeconds * 1000,
          status: 'held',
        };
        holds.set(hold.id, hold);
        for (const s of seats) seatHolds.set(`${showId} ${s}`, hold.id);
        return h
          .response({ holdId: hold.id, showId, seats, expiresAt: new Date(hold.expiresAt).toISOString() })
          .code(201);
      }),
    },
    {
      method: 'POST',
      path: '/holds/{holdId}/confirm',
      options: { validate: { params: Joi.object({ holdId: Joi.string().guid().required() }) } },
      handler: legacy(async (request, h) => {
        const hold = holds.get(String(request.params.holdId));
        if (!hold) return h.response({ error: 'unknown hold' }).code(404);
        if (hold.status === 'booked') return { holdId: hold.id, status: 'booked', seats: hold.seats };
        if (!isLive(hold))
          return h.response({ error: `hold ${hold.status === 'released' ? 'released' : 'expired'}` }).code(410);
        hold.status = 'booked';
        return { holdId: hold.id, status: 'booked', seats: hold.seats };
      }),
    },
    {
      method: 'DELETE',
      path: '/holds/{holdId}',
      options: { validate: { params: Joi.object({ holdId: Joi.string().guid().required() }) } },
      handler: legacy(async (request, h) => {
        const hold = holds.get(String(request.params.holdId));
        if (!hold) return h.response({ error: 'unknown hold' }).code(404);
        if (hold.status === 'booked') return h.response({ error: 'hold already booked' }).code(409);
        hold.status = 'released';
        return h.response().code(204);
      }),
    },
    // Every hold as the cinema's system keeps it (since this process started): what `npm run chaos`
    // checks our tickets against (the seats booked here are exactly the seats we issued tickets for).
    {
      method: 'GET',
      path: '/records',
      handler: () => ({
        since: new Date(started).toISOString(),
        holds: [...holds.values()].map((h) => ({ ...h, expiresAt: new Date(h.expiresAt).toISOString() })),
      }),
    },
    {
      method: 'GET',
      path: '/stats',
      handler: () => ({
        limit: opts.concurrencyLimit,
        in_flight: stats.inFlight,
        max_concurrency: stats.maxConcurrency,
        requests: stats.requests,
        served: stats.served,
        rejected: stats.rejected,
        busy_ms: stats.busyMs,
        since: new Date(stats.since).toISOString(),
      }),
    },
    {
      method: 'POST',
      path: '/stats/reset',
      handler: (_r, h) => {
        Object.assign(stats, {
          maxConcurrency: stats.inFlight,
          requests: 0,
          served: 0,
          rejected: 0,
          busyMs: 0,
          since: Date.now(),
        });
        return h.response().code(204);
      },
    },
  ]);
  return server;
}

import type pg from 'pg';
import { type Redis } from '@premiere/runtime';
import { LEGACY_BULKHEAD_KEY, LEGACY_USAGE_KEY } from '@premiere/contracts';

/** What the operators read of a show beyond its room: where and when it plays, and its seats now. */
export interface ShowDetails {
  city: string;
  /** The cinema's IANA time zone: the page shows times in it, whatever the operator's own. */
  timeZone: string;
  room: string;
  /** Seats in confirmed orders, and seats held by orders not paid yet (reserve-seat's seat_claims). */
  seatsSold: number;
  seatsHeld: number;
}

/**
 * The catalog's facts and reserve-seat's seat counts for these shows, read now (one query, by the
 * seat_claims primary key): the referee's figures, not the waiting room's last copy of them.
 */
export async function showDetails(db: pg.Pool, showIds: string[]): Promise<Map<string, ShowDetails>> {
  if (!showIds.length) return new Map();
  const { rows } = await db.query<{
    id: string;
    city: string;
    time_zone: string;
    room: string;
    sold: number;
    held: number;
  }>(
    `SELECT s.id, c.city, c.time_zone, r.name AS room,
            coalesce(claims.sold, 0)::int AS sold, coalesce(claims.held, 0)::int AS held
       FROM render_catalog.shows s
       JOIN render_catalog.rooms r ON r.id = s.room_id
       JOIN render_catalog.cinemas c ON c.id = r.cinema_id
       LEFT JOIN (
         SELECT sc.show_id, count(*) FILTER (WHERE o.state = 'confirmed') AS sold, count(*) FILTER (WHERE o.state <> 'confirmed') AS held
           FROM reserve_seat.seat_claims sc JOIN reserve_seat.orders o ON o.id = sc.order_id
          WHERE sc.show_id = ANY($1)
          GROUP BY sc.show_id
       ) claims ON claims.show_id = s.id
      WHERE s.id = ANY($1)`,
    [showIds],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      { city: r.city, timeZone: r.time_zone, room: r.room, seatsSold: r.sold, seatsHeld: r.held },
    ]),
  );
}

/** How busy the legacy system is, for the whole deployment (null before reserve-seat ever called it). */
export interface LegacyUsage {
  /** Calls in flight at most (LEGACY_CONCURRENCY), and those in flight now. */
  limit: number;
  inFlight: number;
  /**
   * Counters since the counting began: slot time held (ms), calls, callers who gave up waiting for
   * a slot. Utilisation between two reads: Δ busyMs / (limit × Δ time).
   */
  busyMs: number;
  calls: number;
  gaveUp: number;
}

export async function legacyUsage(redis: Redis): Promise<LegacyUsage | null> {
  const results = await redis
    .multi()
    .hmget(LEGACY_USAGE_KEY, 'limit', 'busyMs', 'calls', 'full')
    // Leases that ran out are calls of a replica that died: not in flight (bulkhead-acquire.lua drops them).
    .zcount(LEGACY_BULKHEAD_KEY, `(${Date.now()}`, '+inf')
    .exec();
  const [[, usage], [, inFlight]] = results as [[unknown, (string | null)[]], [unknown, number]];
  const [limit, busyMs, calls, full] = usage;
  if (!limit) return null;
  return {
    limit: Number(limit),
    inFlight: Number(inFlight),
    busyMs: Number(busyMs ?? 0),
    calls: Number(calls ?? 0),
    gaveUp: Number(full ?? 0),
  };
}

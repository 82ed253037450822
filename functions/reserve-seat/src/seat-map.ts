import type pg from 'pg';
import { BoundedMap, type Redis } from '@premiere/runtime';
import { legacySeatsKeys } from './keys';
import type { LegacyClient, LegacySeat } from './legacy';

export type SeatStatus = 'free' | 'held' | 'taken';

/** What an accessible seat is for (the catalog's render_catalog.seats.accessibility). */
export type Accessibility = 'wheelchair' | 'companion' | 'reduced_mobility';

/** A show's seats as the map draws them; `accessibility` only on the seats that have one. */
export interface SeatMap {
  showId: string;
  roomType: string;
  rows: {
    row: string;
    seats: { seat: string; number: number; col: number; status: SeatStatus; accessibility?: Accessibility }[];
  }[];
}

interface LayoutSeat {
  seat: string;
  row_label: string;
  number: number;
  col: number;
  accessibility: Accessibility | null;
  room_type: string;
}

/** A room's layout does not change while people buy; kept in memory this long, for this many shows. */
const LAYOUT_TTL_MS = 60_000;
const LAYOUTS_KEPT = 100;
/** How many times its freshness a legacy answer may still be shown while a new one is fetched. */
const STALE_FOR = 15;

/**
 * A show's seat map: the room's layout from the catalog (kept in memory for a minute); each
 * seat's status from the legacy system, asked about once per `cacheMs` per show and kept in Redis
 * for every replica, so ten buyers looking at one map make one legacy call; and our own record on
 * top (a seat an order here holds or bought shows as such even before the legacy system says so).
 */
export class SeatMaps {
  private readonly inFlight = new Map<string, Promise<LegacySeat[]>>();
  private readonly building = new Map<string, Promise<SeatMap | null>>();
  private readonly layouts = new BoundedMap<string, { until: number; layout: Promise<LayoutSeat[]> }>(LAYOUTS_KEPT);

  constructor(private readonly deps: { db: pg.Pool; redis: Redis; legacy: LegacyClient; cacheMs: number }) {}

  /**
   * null: the catalog has no such show. Readers who ask while this process is building the show's
   * map share that build (at noon a hundred ask at once; one query answers them all).
   */
  of(showId: string): Promise<SeatMap | null> {
    let map = this.building.get(showId);
    if (!map) {
      map = this.build(showId);
      this.building.set(showId, map);
      void map.finally(() => this.building.delete(showId)).catch(() => undefined);
    }
    return map;
  }

  private async build(showId: string): Promise<SeatMap | null> {
    const layout = await this.layoutOf(showId);
    if (layout.length === 0) return null;
    const [legacy, ours] = await Promise.all([
      this.legacySeats(showId),
      this.deps.db.query<{ seat: string; state: string }>(
        'SELECT c.seat, o.state FROM seat_claims c JOIN orders o ON o.id = c.order_id WHERE c.show_id = $1',
        [showId],
      ),
    ]);
    const status = new Map<string, SeatStatus>();
    for (const s of legacy) status.set(s.seat, s.status === 'booked' ? 'taken' : s.status);
    for (const c of ours.rows) status.set(c.seat, c.state === 'confirmed' ? 'taken' : 'held');
    const rows = new Map<string, SeatMap['rows'][number]>();
    for (const s of layout) {
      let row = rows.get(s.row_label);
      if (!row) rows.set(s.row_label, (row = { row: s.row_label, seats: [] }));
      const seat = { seat: s.seat, number: s.number, col: s.col, status: status.get(s.seat) ?? 'free' };
      row.seats.push(s.accessibility ? { ...seat, accessibility: s.accessibility } : seat);
    }
    return { showId, roomType: layout[0].room_type, rows: [...rows.values()] };
  }

  private layoutOf(showId: string): Promise<LayoutSeat[]> {
    const kept = this.layouts.get(showId);
    if (kept && kept.until > Date.now()) return kept.layout;
    const layout = this.deps.db
      .query<LayoutSeat>(
        `SELECT t.seat, t.row_label, t.number, t.col, t.accessibility, r.room_type
           FROM render_catalog.shows s
           JOIN render_catalog.rooms r ON r.id = s.room_id
           JOIN render_catalog.seats t ON t.room_id = s.room_id
          WHERE s.id = $1 ORDER BY t.row_label, t.col`,
        [showId],
      )
      .then((r) => r.rows);
    this.layouts.delete(showId);
    this.layouts.set(showId, { until: Date.now() + LAYOUT_TTL_MS, layout });
    // A failed read is not kept; an unknown show (no seats) is, briefly, like any answer.
    layout.catch(() => this.layouts.delete(showId));
    return layout;
  }

  /**
   * The legacy system's seat statuses. Fresh for `cacheMs`; after that the stale copy still
   * answers at once while one caller (one per deployment, by a short Redis lock) asks the legacy
   * system again, so no reader waits on it. Only a show nobody has looked at lately waits.
   */
  private async legacySeats(showId: string): Promise<LegacySeat[]> {
    const keys = legacySeatsKeys(showId);
    const cached = await this.deps.redis.get(keys.seats);
    if (!cached) return this.refresh(showId, keys.seats);
    const { at, seats } = JSON.parse(cached) as { at: number; seats: LegacySeat[] };
    if (Date.now() - at > this.deps.cacheMs && !this.inFlight.has(showId)) {
      const mine = await this.deps.redis.set(keys.refreshing, '1', 'PX', this.deps.cacheMs, 'NX');
      if (mine) this.refresh(showId, keys.seats).catch(() => undefined); // the next reader tries again
    }
    return seats;
  }

  /** One legacy call per show at a time in this process; the answer kept for every replica. */
  private refresh(showId: string, key: string): Promise<LegacySeat[]> {
    let call = this.inFlight.get(showId);
    if (!call) {
      call = this.deps.legacy.seats(showId).then(async (seats) => {
        await this.deps.redis.set(key, JSON.stringify({ at: Date.now(), seats }), 'PX', this.deps.cacheMs * STALE_FOR);
        return seats;
      });
      this.inFlight.set(showId, call);
      void call.finally(() => this.inFlight.delete(showId)).catch(() => undefined);
    }
    return call;
  }
}

import type pg from 'pg';
import { showKey, type Redis } from '@premiere/runtime';
import type { LegacyClient, LegacySeat } from './legacy';

export type SeatStatus = 'free' | 'held' | 'taken';

export interface SeatMap {
  showId: string;
  roomType: string;
  rows: { row: string; seats: { seat: string; number: number; col: number; status: SeatStatus }[] }[];
}

/**
 * A show's seat map: the room's layout from the catalog; each seat's status from the legacy system,
 * read at most once per `cacheMs` per show (kept in Redis for every replica, and one call at a time
 * per process), so ten buyers looking at one map make one legacy call; and our own record on top
 * (a seat an order here holds or bought shows as such even before the legacy system says so).
 */
export class SeatMaps {
  private readonly inFlight = new Map<string, Promise<LegacySeat[]>>();

  constructor(private readonly deps: { db: pg.Pool; redis: Redis; legacy: LegacyClient; cacheMs: number }) {}

  /** null: the catalog has no such show. */
  async of(showId: string): Promise<SeatMap | null> {
    const { rows: layout } = await this.deps.db.query<{ seat: string; row_label: string; number: number; col: number; room_type: string }>(
      `SELECT t.seat, t.row_label, t.number, t.col, r.room_type
         FROM render_catalog.shows s
         JOIN render_catalog.rooms r ON r.id = s.room_id
         JOIN render_catalog.seats t ON t.room_id = s.room_id
        WHERE s.id = $1 ORDER BY t.row_label, t.col`,
      [showId],
    );
    if (layout.length === 0) return null;
    const [legacy, ours] = await Promise.all([
      this.legacySeats(showId),
      this.deps.db.query<{ seat: string; state: string }>('SELECT c.seat, o.state FROM seat_claims c JOIN orders o ON o.id = c.order_id WHERE c.show_id = $1', [showId]),
    ]);
    const status = new Map<string, SeatStatus>();
    for (const s of legacy) status.set(s.seat, s.status === 'booked' ? 'taken' : s.status);
    for (const c of ours.rows) status.set(c.seat, c.state === 'confirmed' ? 'taken' : 'held');
    const rows = new Map<string, SeatMap['rows'][number]>();
    for (const s of layout) {
      let row = rows.get(s.row_label);
      if (!row) rows.set(s.row_label, (row = { row: s.row_label, seats: [] }));
      row.seats.push({ seat: s.seat, number: s.number, col: s.col, status: status.get(s.seat) ?? 'free' });
    }
    return { showId, roomType: layout[0].room_type, rows: [...rows.values()] };
  }

  private async legacySeats(showId: string): Promise<LegacySeat[]> {
    const key = showKey(showId, 'legacy-seats');
    const cached = await this.deps.redis.get(key);
    if (cached) return JSON.parse(cached) as LegacySeat[];
    let call = this.inFlight.get(showId);
    if (!call) {
      call = this.deps.legacy.seats(showId).then(async (seats) => {
        await this.deps.redis.set(key, JSON.stringify(seats), 'PX', this.deps.cacheMs);
        return seats;
      });
      this.inFlight.set(showId, call);
      void call.finally(() => this.inFlight.delete(showId)).catch(() => undefined);
    }
    return call;
  }
}

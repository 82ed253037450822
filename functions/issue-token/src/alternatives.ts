import type pg from 'pg';
import { roomKeys } from '@premiere/waiting-room';
import { BoundedMap, type Redis } from '@premiere/runtime';

export interface Alternative {
  showId: string;
  title: string;
  cinemaName: string;
  city: string;
  roomType: string;
  startsAt: string;
  /** The cinema's, in which the start is shown. */
  timeZone: string;
  /** When its sales open, if they have not yet (its waiting room only queues until then), as the catalog marks it. */
  salesOpenAt: string | null;
  url: string;
}

const MAX_ALTERNATIVES = 6;
/** A sold-out show is asked about by everyone at once: its alternatives are worked out once a second. */
const CACHE_MS = 1_000;

/**
 * Other shows of the same movie that still issue tokens, nearest first: the same cinema, then the
 * same city, then elsewhere; within each, the nearest time to the sold-out show.
 */
export class Alternatives {
  private readonly cache = new BoundedMap<string, { at: number; list: Promise<Alternative[]> }>(1_000);

  constructor(
    private readonly db: pg.Pool,
    private readonly redis: Redis,
  ) {}

  for(showId: string): Promise<Alternative[]> {
    const hit = this.cache.get(showId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.list;
    const list = this.find(showId).catch((err) => {
      this.cache.delete(showId);
      throw err;
    });
    this.cache.set(showId, { at: Date.now(), list });
    return list;
  }

  private async find(showId: string): Promise<Alternative[]> {
    const { rows } = await this.db.query(
      `WITH this AS (
         SELECT s.movie_id, s.starts_at, r.cinema_id, c.city
           FROM render_catalog.shows s
           JOIN render_catalog.rooms r ON r.id = s.room_id
           JOIN render_catalog.cinemas c ON c.id = r.cinema_id
          WHERE s.id = $1)
       SELECT s.id, m.title, c.name AS cinema_name, c.city, r.room_type, s.starts_at, c.time_zone,
              CASE WHEN s.sales_open_at > now() THEN s.sales_open_at END AS sales_open_at
         FROM this
         JOIN render_catalog.shows s ON s.movie_id = this.movie_id AND s.id <> $1 AND s.starts_at > now()
         JOIN render_catalog.movies m ON m.id = s.movie_id
         JOIN render_catalog.rooms r ON r.id = s.room_id
         JOIN render_catalog.cinemas c ON c.id = r.cinema_id
        ORDER BY (r.cinema_id = this.cinema_id) DESC, (c.city = this.city) DESC,
                 abs(extract(epoch FROM s.starts_at - this.starts_at)), s.id
        LIMIT 50`,
      [showId],
    );
    if (rows.length === 0) return [];
    // Which still have tokens: a show without a room yet has all of them.
    const pipeline = this.redis.pipeline();
    for (const row of rows) pipeline.hmget(roomKeys(row.id).room, 'quota', 'issued', 'draining');
    const rooms = (await pipeline.exec()) ?? [];
    return rows
      .filter((_, i) => {
        const [quota, issued, draining] = (rooms[i]?.[1] ?? []) as (string | null)[];
        return quota === null || (Number(issued) < Number(quota) && draining !== '1');
      })
      .slice(0, MAX_ALTERNATIVES)
      .map((row) => ({
        showId: row.id,
        title: row.title,
        cinemaName: row.cinema_name,
        city: row.city,
        roomType: row.room_type,
        startsAt: row.starts_at.toISOString(),
        timeZone: row.time_zone,
        salesOpenAt: row.sales_open_at ? row.sales_open_at.toISOString() : null,
        url: `/waiting-room/${row.id}`,
      }));
  }
}

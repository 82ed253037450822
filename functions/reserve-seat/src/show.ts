import type pg from 'pg';
import type { ShowHeading } from '@premiere/runtime';

/** What the seat selection page says of a show before anything is chosen. */
export interface ShowOnSale {
  show: ShowHeading;
  currency: string;
  /** A ticket's price by type, as orders.ts `price` charges it. */
  prices: { full: number; half: number };
  /** The cinema's extras, cheapest first. */
  extras: { id: string; name: string; priceCents: number }[];
}

/** A show as the catalog has it, for its pages (null: the catalog has no such show). */
export async function readShowOnSale(db: pg.Pool, showId: string): Promise<ShowOnSale | null> {
  const { rows } = await db.query(
    `SELECT s.id, m.title, c.name AS cinema_name, c.city, c.time_zone, r.room_type, s.starts_at,
            s.currency, s.price_full_cents, s.price_half_cents,
            (SELECT coalesce(json_agg(json_build_object('id', e.id, 'name', e.name, 'priceCents', e.price_cents) ORDER BY e.price_cents, e.id), '[]')
               FROM render_catalog.extras e WHERE e.cinema_id = r.cinema_id) AS extras
       FROM render_catalog.shows s
       JOIN render_catalog.movies m ON m.id = s.movie_id
       JOIN render_catalog.rooms r ON r.id = s.room_id
       JOIN render_catalog.cinemas c ON c.id = r.cinema_id
      WHERE s.id = $1`,
    [showId],
  );
  const s = rows[0];
  if (!s) return null;
  return {
    show: { showId: s.id, title: s.title, cinemaName: s.cinema_name, city: s.city, roomType: s.room_type, startsAt: s.starts_at.getTime(), timeZone: s.time_zone },
    currency: s.currency,
    prices: { full: s.price_full_cents, half: s.price_half_cents },
    extras: s.extras,
  };
}

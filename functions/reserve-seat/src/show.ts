import type pg from 'pg';
import { showHeadingOf, type ShowHeading } from '@premiere/contracts';

/** What the seat selection page says of a show before anything is chosen. */
export interface ShowOnSale {
  show: ShowHeading;
  currency: string;
  /** A ticket's price by type, as orders.ts `price` charges it. */
  prices: { full: number; half: number };
  /** The cinema's extras, cheapest first. */
  extras: { id: string; name: string; priceCents: number }[];
}

/** A show as the catalog has it, with its prices and its cinema's extras (null: the catalog has no such show). */
export async function readShowOnSale(db: pg.Pool, showId: string): Promise<ShowOnSale | null> {
  const [show, { rows }] = await Promise.all([
    showHeadingOf(db, showId),
    db.query(
      `SELECT s.currency, s.price_full_cents, s.price_half_cents,
              (SELECT coalesce(json_agg(json_build_object('id', e.id, 'name', e.name, 'priceCents', e.price_cents) ORDER BY e.price_cents, e.id), '[]')
                 FROM render_catalog.extras e WHERE e.cinema_id = r.cinema_id) AS extras
         FROM render_catalog.shows s JOIN render_catalog.rooms r ON r.id = s.room_id
        WHERE s.id = $1`,
      [showId],
    ),
  ]);
  const s = rows[0];
  if (!show || !s) return null;
  return {
    show,
    currency: s.currency,
    prices: { full: s.price_full_cents, half: s.price_half_cents },
    extras: s.extras,
  };
}

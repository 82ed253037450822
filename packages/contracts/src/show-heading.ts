import type { Queryable } from '@premiere/runtime';
import { html, type Html, type MessageKey, type Translator } from '@premiere/web';

/**
 * A show as every page about it names it (waiting room, seat map, order, ticket): the movie, the
 * cinema and its city, the room's kind, and the start on the cinema's clock.
 */
export interface ShowHeading {
  showId: string;
  title: string;
  cinemaName: string;
  city: string;
  roomType: string;
  /** Epoch milliseconds. */
  startsAt: number;
  /** The cinema's, in which the start is shown. */
  timeZone: string;
}

const ROOM_TYPES: Record<string, MessageKey> = { regular: 'room.regular', imax: 'room.imax', vip: 'room.vip' };
/** A room's kind in the visitor's words (an unknown kind as the catalog names it). */
export const roomTypeName = (i: Translator, type: string) => (ROOM_TYPES[type] ? i.t(ROOM_TYPES[type]) : type);

/**
 * The show's heading: its title (an h1 unless `level` says otherwise), then where and when, the
 * time in the cinema's zone and the visitor's language.
 */
export function showHeading(i: Translator, show: ShowHeading, level: 1 | 2 = 1): Html {
  const title =
    level === 1 ? html`<h1 class="show-title">${show.title}</h1>` : html`<h2 class="show-title">${show.title}</h2>`;
  return html`${title}
<p class="muted show-details">${show.cinemaName}, ${show.city} · ${roomTypeName(i, show.roomType)} · <time datetime="${new Date(show.startsAt).toISOString()}">${i.when(show.startsAt, show.timeZone)}</time></p>`;
}

/** A show's heading from the catalog (render_catalog's tables); null for a show it does not know. */
export async function showHeadingOf(db: Queryable, showId: string): Promise<ShowHeading | null> {
  const { rows } = await db.query(
    `SELECT s.id, m.title, c.name AS cinema_name, c.city, r.room_type, s.starts_at, c.time_zone
       FROM render_catalog.shows s
       JOIN render_catalog.movies m ON m.id = s.movie_id
       JOIN render_catalog.rooms r ON r.id = s.room_id
       JOIN render_catalog.cinemas c ON c.id = r.cinema_id
      WHERE s.id = $1`,
    [showId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    showId: row.id,
    title: row.title,
    cinemaName: row.cinema_name,
    city: row.city,
    roomType: row.room_type,
    startsAt: (row.starts_at as Date).getTime(),
    timeZone: row.time_zone,
  };
}

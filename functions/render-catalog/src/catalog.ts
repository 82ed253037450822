import type pg from 'pg';

/** The catalog as pages need it, read from render-catalog's own tables (one query per page). */
export type MovieStatus = 'now_showing' | 'premiere' | 'coming_soon';

export interface MovieSummary {
  id: string;
  title: string;
  synopsis: string;
  durationMinutes: number;
  rating: string;
  releaseDate: string;
  status: MovieStatus;
}

export interface Show {
  id: string;
  movieId: string;
  movieTitle: string;
  startsAt: string;
  /** In the cinema's time zone: "2026-11-23 20:00". */
  localStartsAt: string;
  timeZone: string;
  salesOpenAt: string | null;
  cinemaId: string;
  cinemaName: string;
  city: string;
  roomName: string;
  roomType: 'regular' | 'imax' | 'vip';
  currency: string;
  priceFullCents: number;
  priceHalfCents: number;
}

export interface Cinema {
  id: string;
  name: string;
  city: string;
  address: string;
}

const MOVIE_COLUMNS = `m.id, m.title, m.synopsis, m.duration_minutes AS "durationMinutes", m.rating,
  to_char(m.release_date, 'YYYY-MM-DD') AS "releaseDate", m.status`;
const SHOW_COLUMNS = `s.id, s.movie_id AS "movieId", m.title AS "movieTitle", s.starts_at AS "startsAt", s.sales_open_at AS "salesOpenAt",
  to_char(s.starts_at AT TIME ZONE c.time_zone, 'YYYY-MM-DD HH24:MI') AS "localStartsAt", c.time_zone AS "timeZone",
  c.id AS "cinemaId", c.name AS "cinemaName", c.city, r.name AS "roomName", r.room_type AS "roomType",
  s.currency, s.price_full_cents AS "priceFullCents", s.price_half_cents AS "priceHalfCents"`;
const SHOW_JOINS = `FROM shows s JOIN movies m ON m.id = s.movie_id JOIN rooms r ON r.id = s.room_id JOIN cinemas c ON c.id = r.cinema_id`;

const iso = <T extends { startsAt: unknown; salesOpenAt: unknown }>(row: T) => ({
  ...row,
  startsAt: new Date(row.startsAt as string).toISOString(),
  salesOpenAt: row.salesOpenAt ? new Date(row.salesOpenAt as string).toISOString() : null,
});

export async function loadHome(db: pg.Pool): Promise<{ movies: MovieSummary[]; cinemas: Cinema[] }> {
  const { rows } = await db.query(
    `SELECT json_build_object(
       'movies', (SELECT coalesce(json_agg(x ORDER BY x."releaseDate" DESC, x.title), '[]') FROM (SELECT ${MOVIE_COLUMNS} FROM movies m) x),
       'cinemas', (SELECT coalesce(json_agg(c ORDER BY c.city, c.name), '[]') FROM (SELECT id, name, city, address FROM cinemas) c)
     ) AS home`,
  );
  return rows[0].home;
}

/** A movie and its shows from `from` on (optionally in one city, or on one local day), or null. */
export async function loadMovie(db: pg.Pool, movieId: string, filter: { city?: string; day?: string }, from: Date) {
  const { rows } = await db.query(
    `SELECT (SELECT row_to_json(x) FROM (SELECT ${MOVIE_COLUMNS} FROM movies m WHERE m.id = $1) x) AS movie,
            (SELECT coalesce(json_agg(y ORDER BY y."startsAt", y.city, y."cinemaName"), '[]') FROM (
               SELECT ${SHOW_COLUMNS} ${SHOW_JOINS}
                WHERE s.movie_id = $1 AND s.starts_at >= $2
                  AND ($3::text IS NULL OR c.city = $3)
                  AND ($4::date IS NULL OR (s.starts_at AT TIME ZONE c.time_zone)::date = $4::date)) y) AS shows`,
    [movieId, from, filter.city ?? null, filter.day ?? null],
  );
  if (!rows[0].movie) return null;
  return { movie: rows[0].movie as MovieSummary, shows: (rows[0].shows as Show[]).map(iso) };
}

export async function loadCinema(db: pg.Pool, cinemaId: string, from: Date) {
  const { rows } = await db.query(
    `SELECT (SELECT row_to_json(c) FROM (SELECT id, name, city, address FROM cinemas WHERE id = $1) c) AS cinema,
            (SELECT coalesce(json_agg(y ORDER BY y."startsAt", y."movieTitle"), '[]') FROM (
               SELECT ${SHOW_COLUMNS} ${SHOW_JOINS} WHERE c.id = $1 AND s.starts_at >= $2) y) AS shows`,
    [cinemaId, from],
  );
  if (!rows[0].cinema) return null;
  return { cinema: rows[0].cinema as Cinema, shows: (rows[0].shows as Show[]).map(iso) };
}

/** Which movie and cinema a show belongs to: the pages an availability change touches. */
export async function pagesOfShow(db: pg.Pool, showId: string): Promise<{ movieId: string; cinemaId: string } | null> {
  const { rows } = await db.query(
    `SELECT s.movie_id AS "movieId", r.cinema_id AS "cinemaId" FROM shows s JOIN rooms r ON r.id = s.room_id WHERE s.id = $1`,
    [showId],
  );
  return rows[0] ?? null;
}

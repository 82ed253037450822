import type pg from 'pg';
import type { Redis } from '@premiere/runtime';
import { readAvailability, type Availability } from './availability';
import { loadCinema, loadHome, loadMovie, type Cinema, type MovieStatus, type MovieSummary, type Show } from './catalog';
import { html, page, type Html } from '@premiere/runtime';

/** The three pages (and their JSON): what they load and how they look. */
export interface Rendered {
  status: number;
  type: string;
  body: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';
const SECTIONS: [MovieStatus, string][] = [['premiere', 'Premieres'], ['now_showing', 'Now showing'], ['coming_soon', 'Coming soon']];
const ROOM_TYPES = { regular: 'Regular', imax: 'IMAX', vip: 'VIP' } as const;

type ShowWithAvailability = Show & { availability: Availability; waitingRoom: string };

const withAvailability = async (redis: Redis, shows: Show[]): Promise<ShowWithAvailability[]> => {
  const availability = await readAvailability(redis, shows.map((s) => s.id));
  return shows.map((s) => ({ ...s, availability: availability.get(s.id)!, waitingRoom: `/waiting-room/${s.id}` }));
};

// Times and days as the cinema's clock shows them.
const time = (s: Show) => s.localStartsAt.slice(11, 16);
const day = (s: Show) => s.localStartsAt.slice(0, 10);
const money = (cents: number, currency: string) => `${currency} ${(cents / 100).toFixed(2)}`;
const availabilityLabel = { available: '', few_left: 'few left', sold_out: 'sold out' } as const;

function showLink(s: ShowWithAvailability): Html {
  const label = availabilityLabel[s.availability];
  return s.availability === 'sold_out'
    ? html`<span class="show sold_out" title="sold out">${time(s)}</span>`
    : html`<a class="show ${s.availability}" href="${s.waitingRoom}">${time(s)}${label ? html` <small>${label}</small>` : ''}</a>`;
}

/** Groups shows by city, cinema, room type and day, in that order (the movie page's layout). */
function grouped(shows: ShowWithAvailability[]) {
  const out = new Map<string, Map<string, Map<string, Map<string, ShowWithAvailability[]>>>>();
  for (const s of shows) {
    const date = day(s);
    const city = out.get(s.city) ?? out.set(s.city, new Map()).get(s.city)!;
    const cinema = city.get(s.cinemaName) ?? city.set(s.cinemaName, new Map()).get(s.cinemaName)!;
    const room = cinema.get(s.roomType) ?? cinema.set(s.roomType, new Map()).get(s.roomType)!;
    (room.get(date) ?? room.set(date, []).get(date)!).push(s);
  }
  return out;
}

export async function renderHome(db: pg.Pool, format: 'html' | 'json'): Promise<Rendered> {
  const { movies, cinemas } = await loadHome(db);
  if (format === 'json') {
    const bySection = Object.fromEntries(SECTIONS.map(([status]) => [status, movies.filter((m) => m.status === status).map((m) => ({ ...m, url: `/movies/${m.id}` }))]));
    return { status: 200, type: JSON_TYPE, body: JSON.stringify({ ...bySection, cinemas: cinemas.map((c) => ({ ...c, url: `/cinemas/${c.id}` })) }) };
  }
  const card = (m: MovieSummary) => html`<li class="card"><a href="/movies/${m.id}"><strong>${m.title}</strong></a><span class="tag">${m.rating}</span>
<div class="muted">${m.durationMinutes} min · ${m.status === 'coming_soon' ? `from ${m.releaseDate}` : m.releaseDate}</div><div>${m.synopsis}</div></li>`;
  const body = html`<h1>What's on</h1>
${SECTIONS.map(([status, title]) => {
  const list = movies.filter((m) => m.status === status);
  return list.length ? html`<section><h2>${title}</h2><ul>${list.map(card)}</ul></section>` : '';
})}
<section><h2>Cinemas</h2><ul>${cinemas.map((c) => html`<li><a href="/cinemas/${c.id}">${c.name}</a> <span class="muted">${c.city}</span></li>`)}</ul></section>`;
  return { status: 200, type: HTML_TYPE, body: page("What's on", body) };
}

export async function renderMovie(db: pg.Pool, redis: Redis, movieId: string, filter: { city?: string; day?: string }, format: 'html' | 'json'): Promise<Rendered> {
  const found = await loadMovie(db, movieId, filter, new Date());
  if (!found) return notFound(format, `no movie "${movieId}"`);
  const shows = await withAvailability(redis, found.shows);
  if (format === 'json') return { status: 200, type: JSON_TYPE, body: JSON.stringify({ movie: found.movie, filter: { city: filter.city ?? null, day: filter.day ?? null }, shows }) };
  const m = found.movie;
  const groups = grouped(shows);
  const body = html`<h1>${m.title}</h1><p class="muted">${m.durationMinutes} min · rated ${m.rating} · ${{ coming_soon: `opens ${m.releaseDate}`, premiere: `premieres ${m.releaseDate}`, now_showing: `since ${m.releaseDate}` }[m.status]}</p><p>${m.synopsis}</p>
${groups.size === 0 ? html`<p class="muted">No shows scheduled${filter.city ? ` in ${filter.city}` : ''}${filter.day ? ` on ${filter.day}` : ''}.</p>` : ''}
${[...groups].map(([city, cinemas]) => html`<section><h2>${city}</h2>${[...cinemas].map(([cinema, rooms]) => html`<div class="card"><h3>${cinema}</h3>
${[...rooms].map(([roomType, days]) => html`<div><strong>${ROOM_TYPES[roomType as keyof typeof ROOM_TYPES]}</strong>
${[...days].map(([day, list]) => html`<div><span class="muted">${day}</span> <span class="muted">· ${money(list[0].priceFullCents, list[0].currency)} (half ${money(list[0].priceHalfCents, list[0].currency)})</span><div class="shows">${list.map(showLink)}</div></div>`)}</div>`)}</div>`)}</section>`)}`;
  return { status: 200, type: HTML_TYPE, body: page(m.title, body) };
}

export async function renderCinema(db: pg.Pool, redis: Redis, cinemaId: string, format: 'html' | 'json'): Promise<Rendered> {
  const found = await loadCinema(db, cinemaId, new Date());
  if (!found) return notFound(format, `no cinema "${cinemaId}"`);
  const shows = await withAvailability(redis, found.shows);
  if (format === 'json') return { status: 200, type: JSON_TYPE, body: JSON.stringify({ cinema: found.cinema, shows }) };
  const c: Cinema = found.cinema;
  const byMovie = new Map<string, ShowWithAvailability[]>();
  for (const s of shows) (byMovie.get(s.movieId) ?? byMovie.set(s.movieId, []).get(s.movieId)!).push(s);
  const body = html`<h1>${c.name}</h1><p class="muted">${c.address}, ${c.city}</p>
${[...byMovie].map(([movieId, list]) => html`<div class="card"><h3><a href="/movies/${movieId}">${list[0].movieTitle}</a></h3>
${[...new Set(list.map(day))].map((date) => html`<div><span class="muted">${date}</span><div class="shows">${list.filter((s) => day(s) === date).map((s) => html`${showLink(s)} <span class="tag">${ROOM_TYPES[s.roomType]}</span>`)}</div></div>`)}</div>`)}`;
  return { status: 200, type: HTML_TYPE, body: page(c.name, body) };
}

export function notFound(format: 'html' | 'json', message: string): Rendered {
  return format === 'json'
    ? { status: 404, type: JSON_TYPE, body: JSON.stringify({ error: message }) }
    : { status: 404, type: HTML_TYPE, body: page('Not found', html`<h1>Not found</h1><p>${message}.</p><p><a href="/">See what's on</a></p>`) };
}

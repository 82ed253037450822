import type pg from 'pg';
import type { Redis } from '@premiere/runtime';
import { readAvailability, type Availability } from './availability';
import {
  loadCinema,
  loadHome,
  loadMovie,
  type Cinema,
  type MovieStatus,
  type MovieSummary,
  type Show,
} from './catalog';
import { roomTypeName } from '@premiere/contracts';
import { html, page, type Html, type MessageKey, type Translator } from '@premiere/web';

/** The three pages (and their JSON): what they load and how they look. */
export interface Rendered {
  status: number;
  type: string;
  body: string;
  /** When the page will read differently with no event to say so (a show's sales open: its pre-sale mark goes), epoch ms. */
  changesAt?: number;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';
const SECTIONS: [MovieStatus, MessageKey][] = [
  ['premiere', 'catalog.section.premiere'],
  ['now_showing', 'catalog.section.now_showing'],
  ['coming_soon', 'catalog.section.coming_soon'],
];
const RELEASE: Record<MovieStatus, MessageKey> = {
  coming_soon: 'catalog.release.coming_soon',
  premiere: 'catalog.release.premiere',
  now_showing: 'catalog.release.now_showing',
};

type ShowWithAvailability = Show & { availability: Availability; waitingRoom: string };

const withAvailability = async (redis: Redis, shows: Show[]): Promise<ShowWithAvailability[]> => {
  const availability = await readAvailability(
    redis,
    shows.map((s) => s.id),
  );
  return shows.map((s) => ({ ...s, availability: availability.get(s.id)!, waitingRoom: `/waiting-room/${s.id}` }));
};

// Times and days as the cinema's clock shows them, in the visitor's language.
const time = (i: Translator, s: Show) => i.when(s.startsAt, s.timeZone, 'time');
const day = (s: Show) => s.localStartsAt.slice(0, 10);
const dayLabel = (i: Translator, s: Show) => i.when(s.startsAt, s.timeZone, 'day');

/** Whether the show's sales have not opened at `now` (its waiting room is a pre-queue until then). */
const inPresale = (s: Show, now: number) => s.salesOpenAt !== null && Date.parse(s.salesOpenAt) > now;
/** The first moment one of `shows` opens its sales after `now`: when their page stops being right. */
const nextSalesOpening = (shows: Show[], now: number) => {
  const opening = shows.filter((s) => inPresale(s, now)).map((s) => Date.parse(s.salesOpenAt!));
  return opening.length ? Math.min(...opening) : undefined;
};

/**
 * A show's time as a button to its waiting room; `room`: its room type, said inside it (a cinema's
 * page). Before its sales open it says so, and when they open (its waiting room takes a place in
 * line meanwhile). A screen reader's list of links hears each by its movie and day too, not a
 * page of "20:00"s.
 */
function showLink(i: Translator, s: ShowWithAvailability, now: number, room?: string): Html {
  const roomTag = room ? html` <small>${room}</small>` : '';
  const of = html`<span class="visually-hidden">, ${i.t('catalog.showOf', { title: s.movieTitle, day: dayLabel(i, s) })}</span>`;
  if (inPresale(s, now))
    return html`<a class="show presale" href="${s.waitingRoom}">${time(i, s)}${roomTag} <small>${i.t('catalog.presale', { when: i.when(s.salesOpenAt!, s.timeZone) })}</small>${of}</a>`;
  if (s.availability === 'sold_out')
    return html`<span class="show sold_out"><s>${time(i, s)}</s>${roomTag} <small>${i.t('catalog.soldOut')}</small>${of}</span>`;
  const label = s.availability === 'few_left' ? i.t('catalog.fewLeft') : '';
  return html`<a class="show ${s.availability}" href="${s.waitingRoom}">${time(i, s)}${roomTag}${label ? html` <small>${label}</small>` : ''}${of}</a>`;
}

/** A movie's age rating: the sign as printed ("12", "L"), said in words to a screen reader. */
const ratingTag = (i: Translator, rating: string) =>
  html`<span class="tag"><span aria-hidden="true">${rating}</span><span class="visually-hidden">${rating === 'L' ? i.t('catalog.ratingAll') : /^\d+$/.test(rating) ? i.t('catalog.ratingAge', { age: rating }) : i.t('catalog.rated', { rating })}</span></span>`;

/**
 * The catalog's own looks, on top of the shared page's: links in the site's blue, movies and
 * cinemas as cards, showtimes as buttons a thumb can hit (44 px); on a touch or phone-sized screen
 * the movies' titles and a filter's way back are 44 px targets too.
 */
const CATALOG_STYLE = html`<style>main a{color:#0a66c2}.card>h2:first-child,.card>h3:first-child{margin-top:0}.card>h2:first-child{font-size:1rem}
.visually-hidden{position:absolute;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}
.movie a.title{font-size:1.1rem;font-weight:700;text-decoration:none}.movie a.title:hover{text-decoration:underline}
.movie .synopsis{margin-top:.3rem}.movies .card{margin:0 0 .6rem}
@media (min-width:48rem){.movies{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}.movies .card{margin:0}}.cinemas{display:flex;flex-wrap:wrap;gap:.5rem}.cinemas li{margin:0}
.cinemas a{display:flex;flex-direction:column;justify-content:center;min-height:2.75rem;padding:.5rem .9rem;background:#fff;border-radius:.5rem;box-shadow:0 1px 2px #0002;text-decoration:none;font-weight:700}
.cinemas a span{font-weight:400;color:#666;font-size:.9rem}
.room+.room{margin-top:.8rem;padding-top:.6rem;border-top:1px solid #e5e5ea}.day{margin:.5rem 0}.day .label{font-weight:600}
.shows{margin-top:.3rem}.show{position:relative;box-sizing:border-box;min-height:2.75rem;display:inline-flex;align-items:center;gap:.35rem}.show small{font-size:.75rem}
.show.sold_out{text-decoration:none}.show.presale{border-style:dashed;flex-wrap:wrap}.filter{background:#fff;border-radius:.5rem;padding:.6rem .9rem;box-shadow:0 1px 2px #0002}
@media (pointer:coarse),(max-width:40rem){.movie a.title,.card h2 a,.card h3 a,.filter a{display:inline-flex;align-items:center;min-height:44px;min-width:44px}}</style>`;

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

/** The visitor's language and this page's path (where the language switch comes back to). */
export interface Visitor {
  i18n: Translator;
  path: string;
}

export async function renderHome(db: pg.Pool, format: 'html' | 'json', visitor: Visitor): Promise<Rendered> {
  const i = visitor.i18n;
  const { movies, cinemas } = await loadHome(db);
  if (format === 'json') {
    const bySection = Object.fromEntries(
      SECTIONS.map(([status]) => [
        status,
        movies.filter((m) => m.status === status).map((m) => ({ ...m, url: `/movies/${m.id}` })),
      ]),
    );
    return {
      status: 200,
      type: JSON_TYPE,
      body: JSON.stringify({ ...bySection, cinemas: cinemas.map((c) => ({ ...c, url: `/cinemas/${c.id}` })) }),
    };
  }
  const card = (
    m: MovieSummary,
  ) => html`<li class="card movie"><a class="title" href="/movies/${m.id}">${m.title}</a>${ratingTag(i, m.rating)}
<div class="muted">${i.t('catalog.duration', { minutes: m.durationMinutes })} · ${m.status === 'coming_soon' ? i.t('catalog.from', { date: i.date(m.releaseDate) }) : i.date(m.releaseDate)}</div><div class="synopsis">${m.synopsis}</div></li>`;
  const body = html`<h1>${i.t('catalog.title')}</h1>
${SECTIONS.map(([status, title]) => {
  const list = movies.filter((m) => m.status === status);
  return list.length ? html`<section><h2>${i.t(title)}</h2><ul class="movies">${list.map(card)}</ul></section>` : '';
})}
<section><h2>${i.t('catalog.cinemas')}</h2><ul class="cinemas">${cinemas.map((c) => html`<li><a href="/cinemas/${c.id}">${c.name} <span>${c.city}</span></a></li>`)}</ul></section>`;
  return { status: 200, type: HTML_TYPE, body: page(i.t('catalog.title'), body, CATALOG_STYLE, visitor) };
}

export async function renderMovie(
  db: pg.Pool,
  redis: Redis,
  movieId: string,
  filter: { city?: string; day?: string },
  format: 'html' | 'json',
  visitor: Visitor,
): Promise<Rendered> {
  const i = visitor.i18n;
  const now = Date.now();
  const found = await loadMovie(db, movieId, filter, new Date(now));
  if (!found) return notFound(format, `no movie "${movieId}"`, visitor, i.t('catalog.noMovie', { id: movieId }));
  const shows = await withAvailability(redis, found.shows);
  const changesAt = nextSalesOpening(shows, now);
  if (format === 'json')
    return {
      status: 200,
      type: JSON_TYPE,
      body: JSON.stringify({
        movie: found.movie,
        filter: { city: filter.city ?? null, day: filter.day ?? null },
        shows,
      }),
      changesAt,
    };
  const m = found.movie;
  const groups = grouped(shows);
  const noShows = () => {
    const day = filter.day && i.date(filter.day);
    if (filter.city && day) return i.t('catalog.noShowsInOn', { city: filter.city, day });
    if (filter.city) return i.t('catalog.noShowsIn', { city: filter.city });
    return day ? i.t('catalog.noShowsOn', { day }) : i.t('catalog.noShows');
  };
  // A filtered page says what it shows, and leads to all of the movie's shows.
  const showing = () => {
    const day = filter.day && i.date(filter.day);
    const what =
      filter.city && day
        ? i.t('catalog.showingInOn', { city: filter.city, day })
        : filter.city
          ? i.t('catalog.showingIn', { city: filter.city })
          : i.t('catalog.showingOn', { day: day! });
    return html`<p class="filter">${what} · <a href="/movies/${m.id}">${i.t('catalog.allShows')}</a></p>`;
  };
  const body = html`<h1>${m.title}</h1><p class="muted">${i.t('catalog.duration', { minutes: m.durationMinutes })} · ${i.t('catalog.rated', { rating: m.rating })} · ${i.t(RELEASE[m.status], { date: i.date(m.releaseDate) })}</p><p>${m.synopsis}</p>
${filter.city || filter.day ? showing() : ''}
${groups.size === 0 ? html`<p class="muted">${noShows()}</p>` : ''}
${[...groups].map(
  ([city, cinemas]) =>
    html`<section><h2>${city}</h2>${[...cinemas].map(
      ([cinema, rooms]) => html`<div class="card"><h3>${cinema}</h3>
${[...rooms].map(
  ([type, days]) => html`<div class="room"><strong>${roomTypeName(i, type)}</strong>
${[...days].map(([, list]) => html`<div class="day"><span class="label">${dayLabel(i, list[0])}</span> <span class="muted">· ${i.t('catalog.prices', { full: i.money(list[0].priceFullCents, list[0].currency), half: i.money(list[0].priceHalfCents, list[0].currency) })}</span><div class="shows">${list.map((s) => showLink(i, s, now))}</div></div>`)}</div>`,
)}</div>`,
    )}</section>`,
)}`;
  return { status: 200, type: HTML_TYPE, body: page(m.title, body, CATALOG_STYLE, visitor), changesAt };
}

export async function renderCinema(
  db: pg.Pool,
  redis: Redis,
  cinemaId: string,
  format: 'html' | 'json',
  visitor: Visitor,
): Promise<Rendered> {
  const i = visitor.i18n;
  const now = Date.now();
  const found = await loadCinema(db, cinemaId, new Date(now));
  if (!found) return notFound(format, `no cinema "${cinemaId}"`, visitor, i.t('catalog.noCinema', { id: cinemaId }));
  const shows = await withAvailability(redis, found.shows);
  const changesAt = nextSalesOpening(shows, now);
  if (format === 'json')
    return { status: 200, type: JSON_TYPE, body: JSON.stringify({ cinema: found.cinema, shows }), changesAt };
  const c: Cinema = found.cinema;
  const byMovie = new Map<string, ShowWithAvailability[]>();
  for (const s of shows) (byMovie.get(s.movieId) ?? byMovie.set(s.movieId, []).get(s.movieId)!).push(s);
  const body = html`<h1>${c.name}</h1><p class="muted">${c.address}, ${c.city}</p>
${[...byMovie].map(
  ([movieId, list]) => html`<div class="card"><h2><a href="/movies/${movieId}">${list[0].movieTitle}</a></h2>
${[...new Set(list.map(day))].map((date) => {
  const onDay = list.filter((s) => day(s) === date);
  return html`<div class="day"><span class="label">${dayLabel(i, onDay[0])}</span><div class="shows">${onDay.map((s) => showLink(i, s, now, roomTypeName(i, s.roomType)))}</div></div>`;
})}</div>`,
)}`;
  return { status: 200, type: HTML_TYPE, body: page(c.name, body, CATALOG_STYLE, visitor), changesAt };
}

/** A 404: for apps, `message` (the API speaks English); for visitors, `text` in their language. */
export function notFound(format: 'html' | 'json', message: string, visitor: Visitor, text: string): Rendered {
  const i = visitor.i18n;
  return format === 'json'
    ? { status: 404, type: JSON_TYPE, body: JSON.stringify({ error: message }) }
    : {
        status: 404,
        type: HTML_TYPE,
        body: page(
          i.t('catalog.notFound'),
          html`<h1>${i.t('catalog.notFound')}</h1><p>${text}</p><p><a class="button" href="/">${i.t('catalog.seeWhatsOn')}</a></p>`,
          CATALOG_STYLE,
          visitor,
        ),
      };
}

import { html, type Html } from './html';
import type { MessageKey, Translator } from './i18n';

/**
 * A show as a visitor's pages name it at their top (the waiting room, the seat map, the order): the
 * movie, the cinema and its city, the kind of room, and when, on the cinema's clock in the
 * visitor's language. One heading for every function that shows it, so that a show reads alike
 * on each step of the purchase.
 */
export interface ShowHeading {
  showId: string;
  title: string;
  cinemaName: string;
  city: string;
  roomType: string;
  /** Epoch milliseconds. */
  startsAt: number;
  /** The cinema's IANA time zone. */
  timeZone: string;
}

const ROOM_TYPES: Record<string, MessageKey> = { regular: 'room.regular', imax: 'room.imax', vip: 'room.vip' };

/** A room type in the visitor's words ("Tradicional"); an unknown one as the catalog spells it. */
export const roomTypeName = (i: Translator, type: string): string => (ROOM_TYPES[type] ? i.t(ROOM_TYPES[type]) : type);

/** The show's title as the page's h1, and where and when under it. */
export function showHeading(i: Translator, show: ShowHeading): Html {
  return html`<h1>${show.title}</h1>
<p class="muted">${show.cinemaName}, ${show.city} · ${roomTypeName(i, show.roomType)} · <time datetime="${new Date(show.startsAt).toISOString()}">${i.when(show.startsAt, show.timeZone)}</time></p>`;
}

import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import QRCode from 'qrcode';
import { showHeading, type ShowHeading } from '@premiere/contracts';
import { html, Html, page, type MessageKey, type Translator } from '@premiere/web';

/**
 * The letters and digits of a ticket code: 0/O and 1/I left out, read aloud at the door or typed
 * from a phone. 32 of them, so that a random byte's low five bits pick one without bias.
 */
export const TICKET_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

/** A new ticket code: ten characters, 50 random bits. */
export function newTicketCode(): string {
  return [...randomBytes(10)].map((b) => TICKET_CODE_ALPHABET[b & 31]).join('');
}

export interface Ticket {
  code: string;
  orderId: string;
  showId: string;
  movie: string;
  /** The show's start in the cinema's local time ("2026-12-18 22:00") and that time zone. */
  startsAt: string;
  localStartsAt: string;
  timeZone: string;
  cinema: { name: string; address: string; city: string };
  room: { name: string; roomType: string };
  seat: string;
  ticketType: 'full' | 'half';
  /**
   * The order's extras and the seat whose ticket they are given with at the counter: the lowest
   * seat label, as text sorts it (the order page lists its tickets in that order, ORDER BY seat),
   * so that the counter has one code to look for; nothing here records that they were given.
   * null: the order has none.
   */
  extras: { seat: string; items: { name: string; quantity: number }[] } | null;
  /** What the seat is for, if it is an accessible one (the catalog's): the usher needs to know. */
  accessibility: 'wheelchair' | 'companion' | 'reduced_mobility' | null;
}

/** A ticket issued for a confirmed order, by its code (null: no such ticket). */
export async function readTicket(db: pg.Pool, code: string): Promise<Ticket | null> {
  const { rows } = await db.query(
    `SELECT t.code, t.order_id, t.show_id, t.seat, os.ticket_type, m.title, s.starts_at,
            to_char(s.starts_at AT TIME ZONE c.time_zone, 'YYYY-MM-DD HH24:MI') AS local_starts_at, c.time_zone,
            c.name AS cinema, c.address, c.city, r.name AS room, r.room_type,
            (SELECT min(seat) FROM tickets WHERE order_id = t.order_id) AS extras_seat,
            (SELECT x.accessibility FROM render_catalog.seats x WHERE x.room_id = s.room_id AND x.seat = t.seat) AS accessibility,
            (SELECT json_agg(json_build_object('name', x.name, 'quantity', e.quantity) ORDER BY x.name)
               FROM order_extras e JOIN render_catalog.extras x ON x.id = e.extra_id WHERE e.order_id = t.order_id) AS extras
       FROM tickets t
       JOIN order_seats os ON os.order_id = t.order_id AND os.seat = t.seat
       JOIN render_catalog.shows s ON s.id = t.show_id
       JOIN render_catalog.movies m ON m.id = s.movie_id
       JOIN render_catalog.rooms r ON r.id = s.room_id
       JOIN render_catalog.cinemas c ON c.id = r.cinema_id
      WHERE t.code = $1`,
    [code],
  );
  const t = rows[0];
  if (!t) return null;
  return {
    code: t.code,
    orderId: t.order_id,
    showId: t.show_id,
    movie: t.title,
    startsAt: t.starts_at.toISOString(),
    localStartsAt: t.local_starts_at,
    timeZone: t.time_zone,
    cinema: { name: t.cinema, address: t.address, city: t.city },
    room: { name: t.room, roomType: t.room_type },
    seat: t.seat,
    ticketType: t.ticket_type,
    extras: t.extras ? { seat: t.extras_seat, items: t.extras } : null,
    accessibility: t.accessibility ?? null,
  };
}

/**
 * The code as a QR code for the door's scanner: an inline SVG drawn from the qrcode library's
 * matrix (synchronous, no image to fetch), a four-module quiet zone around it.
 */
function qrSvg(text: string, label: string): Html {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const size = modules.size + 8;
  let path = '';
  for (let y = 0; y < modules.size; y++) {
    for (let x = 0; x < modules.size; x++) if (modules.get(x, y)) path += `M${x + 4} ${y + 4}h1v1h-1z`;
  }
  return html`<svg class="qr" role="img" aria-label="${label}" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path d="${path}" fill="#000"/></svg>`;
}

const TICKET_TYPE: Record<Ticket['ticketType'], MessageKey> = { full: 'ticketType.full', half: 'ticketType.half' };
const ACCESSIBILITY: Record<NonNullable<Ticket['accessibility']>, MessageKey> = {
  wheelchair: 'seats.access.wheelchair',
  companion: 'seats.access.companion',
  reduced_mobility: 'seats.access.reduced_mobility',
};

const TICKET_STYLE = `.ticket dl{display:grid;grid-template-columns:repeat(auto-fit,minmax(7rem,1fr));gap:.6rem;margin:.5rem 0}.ticket dt{font-size:.85rem;color:#595959}.ticket dd{margin:0;font-weight:700;font-size:1.2rem}
.ticket .code{font:700 2rem/1.2 ui-monospace,monospace;letter-spacing:.15em;text-align:center;border:2px dashed #0a66c2;padding:.5rem;overflow-wrap:anywhere}
.ticket .qr{display:block;width:min(60vw,220px);height:auto;margin:.5rem auto}.ticket .where{margin:.3rem 0}.ticket-actions{display:flex;flex-wrap:wrap;gap:.6rem}
.ticket-actions>*{min-height:44px;box-sizing:border-box}
@media print{header,.no-print{display:none!important}body{background:#fff}main{max-width:none;padding:0}.ticket{box-shadow:none;border:2px solid #000;break-inside:avoid}.ticket .qr{width:6cm}.ticket .code{border-color:#000}.extras-voucher{box-shadow:none;border:2px solid #000;break-inside:avoid}}`;

/** What the order's extras come with: on their ticket, the list to claim at the counter; on the others, which ticket has them. */
function extrasVoucher(i: Translator, t: Ticket): Html | string {
  if (!t.extras) return '';
  if (t.extras.seat !== t.seat)
    return html`<p class="muted">${i.t('ticket.extrasElsewhere', { seat: t.extras.seat })}</p>`;
  return html`<div class="card extras-voucher"><h2>${i.t('ticket.extras')}</h2><ul>${t.extras.items.map((e) => html`<li>${i.t('order.extraItem', { quantity: e.quantity, name: e.name })}</li>`)}</ul><p class="muted">${i.t('ticket.extrasAtCounter')}</p></div>`;
}

/**
 * The ticket as the buyer shows it at the door: the show as every page names it, where exactly
 * (room, address), the seat and its type, the QR code and the code, the order's extras on its first
 * ticket; printable (the print leaves
 * out the site's header and the buttons), and the way back to its order.
 */
export function ticketPage(i: Translator, t: Ticket): string {
  const show: ShowHeading = {
    showId: t.showId,
    title: t.movie,
    cinemaName: t.cinema.name,
    city: t.cinema.city,
    roomType: t.room.roomType,
    startsAt: Date.parse(t.startsAt),
    timeZone: t.timeZone,
  };
  return page(
    i.t('ticket.pageTitle', { code: t.code }),
    html`${showHeading(i, show)}
<div class="card ticket">
<dl>
<div><dt>${i.t('ticket.seat')}</dt><dd class="seat-label">${t.seat}</dd></div>
<div><dt>${i.t('ticket.when')}</dt><dd>${i.when(Date.parse(t.startsAt), t.timeZone)}</dd></div>
<div><dt>${i.t('ticket.type')}</dt><dd>${i.t(TICKET_TYPE[t.ticketType])}</dd></div>
<div><dt>${i.t('ticket.room')}</dt><dd>${t.room.name}</dd></div>
</dl>
${t.accessibility ? html`<p class="access-kind"><strong>${i.t(ACCESSIBILITY[t.accessibility])}</strong></p>` : ''}
${t.ticketType === 'half' ? html`<p class="muted">${i.t('seats.halfNote')}</p>` : ''}
<p class="where muted">${t.cinema.name} · ${t.cinema.address}, ${t.cinema.city}</p>
${qrSvg(t.code, i.t('ticket.qr', { code: t.code }))}
<p class="code" aria-label="${i.t('ticket.code')}">${t.code}</p>
<p class="muted">${i.t('ticket.atTheDoor')}</p>
</div>
${extrasVoucher(i, t)}
<p class="ticket-actions no-print"><button type="button" id="print" class="primary">${i.t('ticket.print')}</button><a class="button secondary no-print" href="/checkout/orders/${t.orderId}">${i.t('ticket.order')}</a></p>
<style>${new Html(TICKET_STYLE)}</style>
<script>document.getElementById('print').onclick = function () { window.print(); };</script>`,
    undefined,
    { i18n: i, path: `/checkout/tickets/${t.code}` },
  );
}

import Boom from '@hapi/boom';
import type { Lifecycle, Request, ResponseObject, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import { type FunctionContext } from '@premiere/runtime';
import { html, i18n, localeOf, page, setCookie, type Translator } from '@premiere/web';
import {
  addressHash,
  edgeClientAddress,
  requireSession,
  sessionHash,
  sessionOf,
  CATALOG_ID_PATTERN,
  PAYMENT_TOKEN_PATTERN,
  showId,
} from '@premiere/contracts';
import { seatsPerVisit, type ReserveSeatEnv } from './env';
import { LegacyBusy, LegacyOutcomeUnknown } from './legacy';
import { cancelOrder, expireHolds, holdSeats, OrderRefused, readOrder, type OrderView } from './orders';
import { orderPage, seatSelectionPage } from './pages';
import { requestPayment } from './payments';
import type { ProtectedZone } from './protected-zone';
import { readShowOnSale } from './show';
import { readTicket, ticketPage } from './tickets';
import { VisitRefused } from './visits';
import { admittedVisitor, ZONE_COOKIE, zonePassOf } from './zone';

const showParams = Joi.object({ showId });
const orderParams = Joi.object({ orderId: Joi.string().guid({ version: 'uuidv4' }).required() });
// A code typed from a phone may come in small letters: it is the same ticket.
const ticketParams = Joi.object({
  code: Joi.string()
    .uppercase()
    .pattern(/^[A-Z0-9]{10}$/)
    .required()
    .messages({ 'string.pattern.base': '"code" must be a ticket code: 10 letters and digits' }),
});

/** The answers a buyer gets when something is in the way: what is wrong, kindly. */
function refusal(err: unknown, h: ResponseToolkit): Boom.Boom | ResponseObject {
  if (err instanceof OrderRefused) {
    const boom = new Boom.Boom(err.message, { statusCode: err.status });
    Object.assign(boom.output.payload, { reason: err.reason }, err.details);
    if (typeof err.details.retryAfterSeconds === 'number')
      boom.output.headers['retry-after'] = String(err.details.retryAfterSeconds);
    if (err.seats.length) (boom.output.payload as Record<string, unknown>).seats = err.seats;
    return boom;
  }
  if (err instanceof VisitRefused) return err.toBoom();
  if (err instanceof LegacyBusy || err instanceof LegacyOutcomeUnknown) {
    const retryAfter = err instanceof LegacyBusy ? err.retryAfterSeconds : 2;
    return h
      .response({
        statusCode: 503,
        error: 'Service Unavailable',
        message: "the cinema's system is busy, retrying: try again in a moment",
        reason: 'busy',
        retryAfterSeconds: retryAfter,
      })
      .code(503)
      .header('retry-after', String(retryAfter));
  }
  throw err;
}

/** A handler whose refused orders and busy legacy system become those answers (anything else is thrown on). */
const kindly =
  (handler: Lifecycle.Method): Lifecycle.Method =>
  async (request, h) => {
    try {
      return await handler.call(null, request, h);
    } catch (err) {
      return refusal(err, h);
    }
  };

export function reserveSeatRoutes(ctx: FunctionContext<ReserveSeatEnv>, zone: ProtectedZone): ServerRoute[] {
  const maxSeats = seatsPerVisit(ctx.config);
  const orderPayload = Joi.object({
    seats: Joi.array()
      .items(
        Joi.object({
          seat: Joi.string()
            .pattern(/^[A-Z]{1,2}[0-9]{1,3}$/)
            .required(),
          ticketType: Joi.string().valid('full', 'half').required(),
        }).unknown(),
      )
      .min(1)
      .max(maxSeats)
      .unique('seat')
      .required(),
    extras: Joi.array()
      .items(
        Joi.object({
          extraId: Joi.string().pattern(CATALOG_ID_PATTERN).required(),
          quantity: Joi.number().integer().min(1).max(20).required(),
        }).unknown(),
      )
      .max(10)
      .unique('extraId')
      .default([]),
  }).unknown(); // prices a client may send are ignored: the order is priced here

  /**
   * The seat selection page: the show, its prices per ticket type and its cinema's extras, read
   * from the catalog as orders.ts prices an order (what the page shows is what the hold charges).
   */
  async function seatSelection(i: Translator, showId: string): Promise<string> {
    const sale = await readShowOnSale(ctx.db, showId);
    if (!sale) throw Boom.notFound(`no show "${showId}"`);
    return seatSelectionPage(i, { ...sale, maxSeats });
  }

  /**
   * The order, if this request comes from the session that placed it; 404 otherwise (401 without a
   * session). Not the zone pass: the pass ends with the visit, and a hold may outlast the visit's
   * time, so the buyer pays for it, and sees it and its tickets after, by the session alone (the
   * order id is a random UUID only they were given; the session cookie is HttpOnly, SameSite=Lax).
   */
  async function ownOrder(request: Request) {
    const session = sessionHash(requireSession(request));
    const order = await readOrder(ctx.db, request.params.orderId as string);
    if (!order || order.sessionHash !== session) throw Boom.notFound('no such order');
    return { order, session };
  }

  return [
    {
      // The way in from the waiting room: the access token opens the visit (once), and the zone pass
      // lasts as long as the visit. Entering again, with the pass or a new access token, finds the
      // same visit and the same end: a visit cannot be stretched.
      method: 'GET',
      path: '/checkout/{showId}',
      options: { validate: { params: showParams, query: Joi.object({ access: Joi.string().max(2_048) }) } },
      handler: async (request, h) => {
        const showId = request.params.showId as string;
        const browser = String(request.headers.accept ?? '').includes('text/html');
        let visitor, visit;
        try {
          visitor = admittedVisitor(
            zone.signer,
            request,
            (request.query as { access?: string }).access ?? zonePassOf(request),
            showId,
          );
          visit = await zone.visits.enter(showId, visitor);
        } catch (err) {
          const refused = err instanceof VisitRefused ? err.toBoom() : err;
          if (!browser || !Boom.isBoom(refused)) throw refused;
          const i = i18n(localeOf(request));
          const over = refused.output.statusCode === 410;
          const title = over ? i.t('visit.overTitle') : i.t('visit.notYetTitle');
          const back = html`<h1>${title}</h1><div class="card"><p>${over ? i.t('visit.over') : i.t('visit.notYet')}</p><p><a class="button" href="/waiting-room/${showId}">${i.t('seats.toWaitingRoom')}</a></p></div>`;
          return h
            .response(page(title, back, undefined, { i18n: i, path: `/waiting-room/${showId}` }))
            .code(refused.output.statusCode)
            .type('text/html; charset=utf-8')
            .header('cache-control', 'no-store');
        }
        const exp = Math.floor(visit.endsAt.getTime() / 1000);
        const pass = zone.signer.sign({
          typ: 'access',
          show: showId,
          vid: visitor.vid,
          place: visitor.place,
          ses: visitor.ses,
          iat: Math.floor(visit.enteredAt.getTime() / 1000),
          exp,
        });
        const until = new Date(exp * 1000).toISOString();
        const answer = browser
          ? h.response(await seatSelection(i18n(localeOf(request)), showId)).type('text/html; charset=utf-8')
          : h.response({
              showId,
              visitor: visitor.vid,
              zoneToken: pass,
              zoneExpiresAt: until,
              seatMap: `/checkout/api/shows/${showId}/seats`,
              orders: `/checkout/api/shows/${showId}/orders`,
            });
        setCookie(request, h, ctx.config.SESSION_COOKIE_SECURE, ZONE_COOKIE, pass, {
          path: '/checkout',
          ttl: Math.max(1_000, exp * 1000 - Date.now()),
        });
        return answer.header('cache-control', 'no-store');
      },
    },
    {
      // The order's page: to its buyer's session with the show and the order summed up; to anyone
      // else bare (its script, reading the API, which checks whose order it is, says so).
      method: 'GET',
      path: '/checkout/orders/{orderId}',
      options: { validate: { params: orderParams } },
      handler: async (request, h) => {
        const orderId = request.params.orderId as string;
        const session = sessionOf(request);
        const order = session ? await readOrder(ctx.db, orderId) : null;
        const { sessionHash: whose, ...view } = order ?? { sessionHash: null };
        const mine = order && whose === sessionHash(session!) ? (view as OrderView) : null;
        return h
          .response(orderPage(i18n(localeOf(request)), orderId, mine))
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store');
      },
    },
    {
      method: 'GET',
      path: '/checkout/api/shows/{showId}/seats',
      options: { validate: { params: showParams } },
      handler: kindly(async (request) => {
        const showId = request.params.showId as string;
        await zone.visits.check(showId, admittedVisitor(zone.signer, request, zonePassOf(request), showId));
        const map = await zone.seatMaps.of(showId); // shared with other readers: not to be changed
        if (!map) throw Boom.notFound(`no show "${showId}"`);
        // One order at a time, so an order may have the visit's seats (maxSeatsPerOrder: its old name).
        return { ...map, maxSeatsPerVisit: maxSeats, maxSeatsPerOrder: maxSeats };
      }),
    },
    {
      method: 'POST',
      path: '/checkout/api/shows/{showId}/orders',
      options: { validate: { params: showParams, payload: orderPayload }, payload: { maxBytes: 8_192 } },
      handler: kindly(async (request, h) => {
        const showId = request.params.showId as string;
        const visitor = admittedVisitor(zone.signer, request, zonePassOf(request), showId);
        const body = request.payload as {
          seats: { seat: string; ticketType: 'full' | 'half' }[];
          extras: { extraId: string; quantity: number }[];
        };
        const address = edgeClientAddress(request); // as the edge saw it: one address holds a small share unpaid
        const order = await holdSeats(zone.orders, {
          showId,
          visitor: visitor.vid,
          sessionHash: visitor.ses,
          seats: body.seats.map(({ seat, ticketType }) => ({ seat, ticketType })),
          extras: body.extras.map(({ extraId, quantity }) => ({ extraId, quantity })),
          addressHash: address && addressHash(address),
        });
        return h.response(order).code(201).header('location', `/checkout/api/orders/${order.orderId}`);
      }),
    },
    {
      method: 'GET',
      path: '/checkout/api/orders/{orderId}',
      options: { validate: { params: orderParams } },
      handler: async (request, h) => {
        let { order } = await ownOrder(request);
        // A buyer looking at an order whose hold ran out sees it expired now, not at the next sweep.
        if (
          (order.state === 'pending_payment' || order.state === 'awaiting_payment') &&
          Date.parse(order.holdExpiresAt) <= Date.now()
        ) {
          await expireHolds(zone.orders);
          order = (await readOrder(ctx.db, order.orderId))!;
        }
        const { sessionHash: _, ...view } = order;
        return h.response(view).header('cache-control', 'no-store');
      },
    },
    {
      // Paying: recorded, handed to process-payment as an event, answered at once; the buyer polls the order.
      method: 'POST',
      path: '/checkout/api/orders/{orderId}/payment',
      options: {
        validate: {
          params: orderParams,
          payload: Joi.object({
            paymentToken: Joi.string().pattern(PAYMENT_TOKEN_PATTERN).required().messages({
              'string.pattern.base':
                '"paymentToken" must be the payment provider’s token for the card (letters, digits, "_" or "-")',
            }),
          }),
        },
        payload: { maxBytes: 4_096 },
      },
      handler: kindly(async (request, h) => {
        const { order } = await ownOrder(request);
        const paying = await ctx.transaction((tx) =>
          requestPayment(
            tx,
            request.logger(),
            order.orderId,
            (request.payload as { paymentToken: string }).paymentToken,
          ),
        );
        return h.response({ ...paying, statusUrl: `/checkout/api/orders/${order.orderId}` }).code(202);
      }),
    },
    {
      // A ticket is shown by its code, to whoever has it (it is what the door checks).
      method: 'GET',
      path: '/checkout/tickets/{code}',
      options: { validate: { params: ticketParams } },
      handler: async (request, h) => {
        const i = i18n(localeOf(request));
        const ticket = await readTicket(ctx.db, request.params.code as string);
        if (!ticket)
          return h
            .response(
              page(
                i.t('ticket.noneTitle'),
                html`<h1>${i.t('ticket.noneTitle')}</h1><p>${i.t('ticket.none')}</p>`,
                undefined,
                { i18n: i, path: request.path },
              ),
            )
            .code(404)
            .type('text/html; charset=utf-8');
        return h
          .response(ticketPage(i, ticket))
          .type('text/html; charset=utf-8')
          .header('cache-control', 'private, no-store');
      },
    },
    {
      method: 'GET',
      path: '/checkout/api/tickets/{code}',
      options: { validate: { params: ticketParams } },
      handler: async (request, h) => {
        const ticket = await readTicket(ctx.db, request.params.code as string);
        if (!ticket) throw Boom.notFound('no such ticket');
        return h.response(ticket).header('cache-control', 'private, no-store');
      },
    },
    {
      method: 'DELETE',
      path: '/checkout/api/orders/{orderId}',
      options: { validate: { params: orderParams } },
      handler: kindly(async (request, h) => {
        const { order, session } = await ownOrder(request);
        await cancelOrder(zone.orders, order.orderId, session);
        return h.response().code(204);
      }),
    },
  ];
}

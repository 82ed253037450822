import Boom from '@hapi/boom';
import type { Request, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import { connectionAddress, type FunctionContext } from '@premiere/runtime';
import {
  crossSiteRefusal,
  i18n,
  localeOf,
  VARY_LANGUAGE,
  type Translator,
  refuseCrossSite,
  setCookie,
} from '@premiere/web';
import {
  addressKey,
  edgeClientAddress,
  requireSession,
  sessionHash,
  sessionOf,
  sessionOrNew,
  TokenRefused,
  type TokenClaims,
  isShowId,
  SHOW_ID_MESSAGE,
} from '@premiere/contracts';
import { ensureRoom, roomKeys, ShowQueue } from '@premiere/waiting-room';
import type { IssueTokenEnv } from './env';
import { messagePage, soldOutPage, statusPage, waitingRoomPage, type ShowHeading } from './pages';

import { WaitingRoom, type JoinResult } from './waiting-room';

/** The show id in the path; a plain check, since every poll pays for it (Joi costs several times more). */
const showParams = async (params: string | object | Buffer) => {
  const showId = (params as { showId?: unknown }).showId;
  if (!isShowId(showId)) throw Boom.badRequest(SHOW_ID_MESSAGE);
  return params;
};
/**
 * Joining and leaving take no body: it is not read (a declared length over 1 KB is refused with
 * 413), which a burst of joins notices.
 */
const NO_BODY = { maxBytes: 1_024, parse: false, output: 'stream' as const };
/** Answers the API's clients must not keep. */
const NOT_STORED = { otherwise: 'no-store' };

const showIdOf = (request: Request) => request.params.showId as string;

/** The visitor's language. */
const visitorI18n = (request: Request): Translator => i18n(localeOf(request));

/** A form another site's page posted (cross-site request forgery): refused, nothing changed. */
const crossSitePage = (request: Request, h: ResponseToolkit) => {
  const i = visitorI18n(request);
  return h
    .response(messagePage(i, `/waiting-room/${showIdOf(request)}`, i.t('wait.crossSiteTitle'), i.t('wait.crossSite')))
    .code(403)
    .type('text/html; charset=utf-8');
};

/** "No such show", in the visitor's language. */
const noSuchShowPage = (request: Request, h: ResponseToolkit) => {
  const i = visitorI18n(request);
  return h
    .response(messagePage(i, '/', i.t('wait.noShowTitle'), i.t('wait.noShow')))
    .code(404)
    .type('text/html; charset=utf-8');
};

/** The visitor's address as the edge saw it (it sets X-Client-Address, overwriting any sent), else the connection's. */
const clientAddress = (request: Request): string =>
  edgeClientAddress(request) ?? addressKey(connectionAddress(request));

/**
 * A browser's queue token for a show, kept in a cookie: the session alone finds the place only in
 * Redis, the token carries it, so a page reloaded after Redis forgot the line keeps the place.
 */
const queueCookie = (showId: string) => `premiere_queue_${showId}`;
const heldToken = (request: Request): string | undefined => {
  const value = (request.state as Record<string, unknown> | null)?.[queueCookie(showIdOf(request))];
  return typeof value === 'string' ? value : undefined;
};

/** Which limit refused a join, and for how long (`windowSeconds`: the rate limits' window). */
function limitMessage(r: Extract<JoinResult, { kind: 'rate_limited' }>, windowSeconds: number): string {
  const wait = `try again in ${r.retryAfterSeconds} s`;
  switch (r.scope) {
    case 'address_tokens':
      return `this address already holds ${r.limit} tokens for this show, the most one address may hold; one frees when a visitor from this address leaves the line, buys or ends their visit: ${wait}`;
    case 'address_new_tokens':
      return `too many new tokens from this address (${r.limit} ${windowSeconds === 60 ? 'a minute' : `every ${windowSeconds} s`} per show); ${wait}`;
    default:
      return `too many joins from this ${r.scope}; ${wait}`;
  }
}

const RECOVERING =
  'The waiting room is recovering from a fault and counting the places already given; try again in a few seconds.';

const REFUSALS: Record<'sold_out' | 'drained' | 'started', string> = {
  sold_out: 'This show is sold out: no waiting-room token is left that could still become a seat.',
  drained: 'This show is no longer issuing waiting-room tokens.',
  started: 'This show has already started.',
};

export function issueTokenRoutes(ctx: FunctionContext<IssueTokenEnv>): ServerRoute[] {
  const room = new WaitingRoom(ctx);
  const secure = ctx.config.SESSION_COOKIE_SECURE;

  /** The show's facts for a page: from its room, made from the catalog first if it has none. */
  async function heading(showId: string): Promise<ShowHeading | null> {
    const read = () =>
      ctx.redis.hmget(roomKeys(showId).room, 'title', 'cinemaName', 'city', 'roomType', 'startsAt', 'timeZone');
    let [title, cinemaName, city, roomType, startsAt, timeZone] = await read();
    if (!title) {
      if (!(await ensureRoom(ctx.redis, ctx.db, showId, ctx.config))) return null;
      [title, cinemaName, city, roomType, startsAt, timeZone] = await read();
    }
    if (!title) return null;
    return {
      showId,
      title,
      cinemaName: cinemaName!,
      city: city!,
      roomType: roomType!,
      startsAt: Number(startsAt),
      timeZone: timeZone!,
    };
  }

  /** The request's queue token, checked against the show and the session (401 / 403 otherwise). */
  function verify(request: Request): TokenClaims {
    const authorization = request.headers.authorization as string | undefined;
    if (!authorization) throw Boom.unauthorized('send the token you got when joining: "Authorization: Bearer <token>"');
    if (!authorization.startsWith('Bearer ')) throw Boom.badRequest('"authorization" must be "Bearer <token>"');
    const token = authorization.slice('Bearer '.length);
    const session = requireSession(request);
    try {
      return room.signer.verify(token, { typ: 'queue', show: showIdOf(request), session });
    } catch (err) {
      if (err instanceof TokenRefused) throw err.toBoom();
      throw err;
    }
  }

  /** The claims of the queue token the browser's cookie kept, if it is valid for this show and session. */
  function held(request: Request, session: string): TokenClaims | null {
    const token = heldToken(request);
    return token ? room.heldClaims(showIdOf(request), session, token) : null;
  }

  /** Keeps the queue token in the browser (until the show starts, when it expires anyway). */
  function keepToken(request: Request, h: ResponseToolkit, token: string) {
    if (request.headers['x-session-id'] !== undefined || heldToken(request) === token) return; // an app keeps its own
    setCookie(request, h, secure, queueCookie(showIdOf(request)), token, {
      path: '/waiting-room/',
      ttl: 2 * 86_400_000,
    });
  }

  const refusedJson = (result: Exclude<JoinResult, { kind: 'joined' }>, h: ResponseToolkit) => {
    switch (result.kind) {
      case 'unknown_show':
        return Boom.notFound('no such show');
      case 'recovering':
        return h
          .response({ statusCode: 503, error: 'Service Unavailable', message: RECOVERING })
          .code(503)
          .header('retry-after', String(result.retryAfterSeconds));
      case 'rate_limited':
        return h
          .response({
            statusCode: 429,
            error: 'Too Many Requests',
            limit: result.scope,
            message: limitMessage(result, ctx.config.JOIN_RATE_WINDOW_SECONDS),
          })
          .code(429)
          .header('retry-after', String(result.retryAfterSeconds));
      default:
        return h
          .response({
            statusCode: 410,
            error: result.kind,
            message: REFUSALS[result.kind],
            alternatives: result.alternatives,
          })
          .code(410);
    }
  };

  return [
    // The JSON API, for apps and the waiting-room page's script.
    {
      method: 'POST',
      path: '/waiting-room/api/shows/{showId}/join',
      options: { validate: { params: showParams }, payload: NO_BODY, cache: NOT_STORED },
      handler: async (request, h) => {
        refuseCrossSite(request); // another site's page taking tokens for its visitors
        const session = sessionOrNew(request, h, secure);
        const result = await room.join(showIdOf(request), session, clientAddress(request), heldToken(request));
        if (result.kind !== 'joined') return refusedJson(result, h);
        keepToken(request, h, result.token);
        return h
          .response({ token: result.token, visitor: result.visitor, status: result.status })
          .code(result.created ? 201 : 200);
      },
    },
    {
      method: 'GET',
      path: '/waiting-room/api/shows/{showId}/status',
      options: { validate: { params: showParams }, cache: NOT_STORED },
      handler: (request) => room.status(showIdOf(request), verify(request)),
    },
    {
      method: 'DELETE',
      path: '/waiting-room/api/shows/{showId}/token',
      options: { validate: { params: showParams }, cache: NOT_STORED },
      handler: async (request) => {
        refuseCrossSite(request);
        const claims = verify(request);
        const from = await room.leave(showIdOf(request), claims);
        return { showId: showIdOf(request), state: 'left', leftFrom: from || null };
      },
    },

    // The pages.
    {
      method: 'GET',
      path: '/waiting-room/{showId}',
      options: { validate: { params: showParams } },
      handler: async (request, h) => {
        const show = await heading(showIdOf(request));
        if (!show) return noSuchShowPage(request, h);
        // The same for everyone in a language: the edge and browsers may keep it for a minute, one copy per language.
        return h
          .response(waitingRoomPage(visitorI18n(request), show))
          .type('text/html; charset=utf-8')
          .header('cache-control', 'public, max-age=60, s-maxage=60')
          .header('vary', VARY_LANGUAGE);
      },
    },
    {
      method: 'POST',
      path: '/waiting-room/{showId}/join',
      options: { validate: { params: showParams }, payload: NO_BODY },
      handler: async (request, h) => {
        if (crossSiteRefusal(request)) return crossSitePage(request, h);
        const showId = showIdOf(request);
        const i = visitorI18n(request);
        const session = sessionOrNew(request, h, secure);
        const result = await room.join(showId, session, clientAddress(request), heldToken(request));
        if (result.kind === 'joined') {
          keepToken(request, h, result.token);
          return h.redirect(`/waiting-room/${showId}/status`).code(303);
        }
        if (result.kind === 'unknown_show') return noSuchShowPage(request, h);
        const back = `/waiting-room/${showId}`;
        const retryIn = (seconds: number) => i.t('wait.retryIn', { count: seconds });
        if (result.kind === 'rate_limited') {
          const why = result.scope === 'address_tokens' ? i.t('wait.networkFull') : i.t('wait.tooMany');
          // Back to the show's waiting room, whose page joins again (this page answered a POST).
          return h
            .response(
              messagePage(
                i,
                back,
                i.t('wait.pleaseWait'),
                `${why} ${retryIn(result.retryAfterSeconds)}`,
                result.retryAfterSeconds,
                back,
              ),
            )
            .code(429)
            .header('retry-after', String(result.retryAfterSeconds))
            .type('text/html; charset=utf-8');
        }
        if (result.kind === 'recovering') {
          return h
            .response(
              messagePage(
                i,
                back,
                i.t('wait.pleaseWait'),
                `${i.t('wait.recovering')} ${retryIn(result.retryAfterSeconds)}`,
                result.retryAfterSeconds,
                back,
              ),
            )
            .code(503)
            .header('retry-after', String(result.retryAfterSeconds))
            .type('text/html; charset=utf-8');
        }
        const show = (await heading(showId))!;
        return h
          .response(soldOutPage(i, show, result.kind, result.alternatives))
          .code(410)
          .type('text/html; charset=utf-8');
      },
    },
    {
      method: 'GET',
      path: '/waiting-room/{showId}/status',
      options: { validate: { params: showParams } },
      handler: async (request, h) => {
        const showId = showIdOf(request);
        const session = sessionOf(request);
        const show = await heading(showId);
        if (!show) return noSuchShowPage(request, h);
        const visitor = session ? await ShowQueue.of(ctx.redis, showId).visitorOf(sessionHash(session)) : null;
        // Not in Redis (it forgot them?): the token their cookie kept says where they were.
        const claims =
          visitor !== null
            ? {
                typ: 'queue' as const,
                show: showId,
                vid: visitor,
                place: null,
                ses: sessionHash(session!),
                iat: 0,
                exp: 0,
              }
            : session && held(request, session);
        if (!claims) return h.redirect(`/waiting-room/${showId}`).code(303);
        const status = await room.status(showId, claims);
        if (status.token) keepToken(request, h, status.token);
        // The count ahead when they first looked, which the page's refresh carries: where the progress bar starts.
        const from = Number(request.query.from);
        const firstAhead = Number.isSafeInteger(from) && from >= 0 ? from : undefined;
        return h
          .response(statusPage(visitorI18n(request), show, status, { firstAhead }))
          .type('text/html; charset=utf-8')
          .header('cache-control', 'no-store');
      },
    },
    {
      method: 'POST',
      path: '/waiting-room/{showId}/leave',
      options: { validate: { params: showParams }, payload: NO_BODY },
      handler: async (request, h) => {
        if (crossSiteRefusal(request)) return crossSitePage(request, h);
        const showId = showIdOf(request);
        const session = sessionOf(request);
        const visitor = session ? await ShowQueue.of(ctx.redis, showId).visitorOf(sessionHash(session)) : null;
        if (visitor !== null)
          await room.leave(showId, {
            typ: 'queue',
            show: showId,
            vid: visitor,
            place: null,
            ses: sessionHash(session!),
            iat: 0,
            exp: 0,
          });
        const i = visitorI18n(request);
        const again = { href: `/waiting-room/${showId}`, text: i.t('wait.joinAgain') };
        return h
          .response(
            messagePage(
              i,
              `/waiting-room/${showId}`,
              i.t('wait.leftTitle'),
              i.t('wait.leftBody'),
              undefined,
              undefined,
              again,
            ),
          )
          .type('text/html; charset=utf-8');
      },
    },
  ];
}

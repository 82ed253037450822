import type { Request, ResponseObject, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import { CATALOG_ID_PATTERN as ID } from '@premiere/contracts';
import { type FunctionContext } from '@premiere/runtime';
import { i18n, languageRoute, localeOf, VARY_LANGUAGE } from '@premiere/web';
import { favicon } from './favicon';
import type { CatalogEnv } from './env';
import type { PageCache } from './page-cache';
import { notFound, renderCinema, renderHome, renderMovie, type Rendered, type Visitor } from './pages';

const KNOWN_PARAMS = new Set(['city', 'day']);

export function catalogRoutes(ctx: FunctionContext<CatalogEnv>, cache: PageCache): ServerRoute[] {
  const { CATALOG_EDGE_MAX_AGE_SECONDS: maxAge, CATALOG_STALE_SECONDS: stale } = ctx.config;
  /** Fresh for `maxAge` at the edge and in browsers, but never past the moment the page changes by itself (a show's sales opening). */
  const cacheControlOf = (page: { changesAt?: number }) => {
    const age =
      page.changesAt === undefined
        ? maxAge
        : Math.max(0, Math.min(maxAge, Math.floor((page.changesAt - Date.now()) / 1000)));
    return `public, max-age=${age}, s-maxage=${age}, stale-while-revalidate=${stale}`;
  };

  /** The page's path (its known parameters only) and the visitor's language: what its copy is kept under. */
  const visitorOf = (request: Request): Visitor => {
    // Only the parameters a page knows make another copy of it (utm_source and the like do not).
    const params = Object.entries(request.query as Record<string, string>).filter(([k]) => KNOWN_PARAMS.has(k));
    const path = params.length ? `${request.path}?${new URLSearchParams(params.sort()).toString()}` : request.path;
    return { i18n: i18n(localeOf(request)), path };
  };

  /** `format`: a page varies by the visitor's language (its key and Vary say so), the JSON does not. */
  const respond = async (
    request: Request,
    h: ResponseToolkit,
    deps: string[],
    format: 'html' | 'json',
    render: (visitor: Visitor) => Promise<Rendered>,
  ) => {
    const visitor = visitorOf(request);
    const key = format === 'html' ? `${visitor.i18n.locale}:${visitor.path}` : visitor.path;
    const page = await cache.get(key, deps, () => render(visitor));
    const vary = (r: ResponseObject) => (format === 'html' ? r.vary('accept-language').vary('cookie') : r);
    if (page.status !== 200)
      return vary(
        h.response(page.body).type(page.type).code(page.status).header('cache-control', 'public, max-age=10'),
      );
    // hapi answers a matching If-None-Match with 304 itself.
    const notModified = h.entity({ etag: page.etag.slice(1, -1) });
    if (notModified) {
      cache.metrics.notModified.inc();
      return vary(notModified.header('cache-control', cacheControlOf(page)));
    }
    return vary(
      h.response(page.body).type(page.type).etag(page.etag.slice(1, -1)).header('cache-control', cacheControlOf(page)),
    );
  };

  // Known parameters are checked (400 names a bad one); others, like tracking tags, are ignored.
  const movieQuery = Joi.object({
    city: Joi.string().trim().min(1).max(64),
    day: Joi.string()
      .pattern(/^\d{4}-\d{2}-\d{2}$/)
      .message('"day" must be a date like 2026-11-23'),
  }).unknown(true);
  const id = (request: Request, name: string) => String(request.params[name]);
  const missing = (
    request: Request,
    h: ResponseToolkit,
    format: 'html' | 'json',
    message: string,
    text: (v: Visitor) => string,
  ) => {
    const visitor = visitorOf(request);
    const page = notFound(format, message, visitor, text(visitor));
    const response = h.response(page.body).type(page.type).code(404);
    return format === 'html' ? response.header('vary', VARY_LANGUAGE) : response;
  };

  return [
    {
      method: 'GET',
      path: '/',
      handler: (r, h) => respond(r, h, ['catalog'], 'html', (v) => renderHome(ctx.db, 'html', v)),
    },
    {
      method: 'GET',
      path: '/api/catalog',
      handler: (r, h) => respond(r, h, ['catalog'], 'json', (v) => renderHome(ctx.db, 'json', v)),
    },
    favicon(),
    languageRoute(ctx.config.SESSION_COOKIE_SECURE),
    ...(['html', 'json'] as const).flatMap((format): ServerRoute[] => {
      const prefix = format === 'json' ? '/api' : '';
      return [
        {
          method: 'GET',
          path: `${prefix}/movies/{movieId}`,
          options: { validate: { query: movieQuery } },
          handler: (r, h) => {
            const movieId = id(r, 'movieId');
            if (!ID.test(movieId))
              return missing(r, h, format, `no movie "${movieId}"`, (v) =>
                v.i18n.t('catalog.noMovie', { id: movieId }),
              );
            return respond(r, h, ['catalog', `movie:${movieId}`], format, (v) =>
              renderMovie(
                ctx.db,
                ctx.redis,
                movieId,
                { city: r.query.city as string | undefined, day: r.query.day as string | undefined },
                format,
                v,
              ),
            );
          },
        },
        {
          method: 'GET',
          path: `${prefix}/cinemas/{cinemaId}`,
          handler: (r, h) => {
            const cinemaId = id(r, 'cinemaId');
            if (!ID.test(cinemaId))
              return missing(r, h, format, `no cinema "${cinemaId}"`, (v) =>
                v.i18n.t('catalog.noCinema', { id: cinemaId }),
              );
            return respond(r, h, ['catalog', `cinema:${cinemaId}`], format, (v) =>
              renderCinema(ctx.db, ctx.redis, cinemaId, format, v),
            );
          },
        },
      ];
    }),
    {
      // Anything else the edge sends here: a real 404 page (or JSON under /api).
      method: 'GET',
      path: '/{path*}',
      handler: (r, h) =>
        missing(r, h, r.path.startsWith('/api/') ? 'json' : 'html', `nothing at ${r.path}`, (v) =>
          v.i18n.t('catalog.nothingAt', { path: r.path }),
        ),
    },
  ];
}

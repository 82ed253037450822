import type { Request, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import type { FunctionContext } from '@premiere/runtime';
import type { CatalogEnv } from './env';
import { pageCacheOf } from './page-cache';
import { notFound, renderCinema, renderHome, renderMovie, type Rendered } from './pages';

const ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const KNOWN_PARAMS = new Set(['city', 'day']);

export function catalogRoutes(ctx: FunctionContext<CatalogEnv>): ServerRoute[] {
  const cache = pageCacheOf(ctx);
  const { CATALOG_EDGE_MAX_AGE_SECONDS: maxAge, CATALOG_STALE_SECONDS: stale } = ctx.config;
  const cacheControl = `public, max-age=${maxAge}, s-maxage=${maxAge}, stale-while-revalidate=${stale}`;

  const respond = async (request: Request, h: ResponseToolkit, deps: string[], render: () => Promise<Rendered>) => {
    // Only the parameters a page knows make another copy of it (utm_source and the like do not).
    const params = Object.entries(request.query as Record<string, string>).filter(([k]) => KNOWN_PARAMS.has(k));
    const key = params.length ? `${request.path}?${new URLSearchParams(params.sort()).toString()}` : request.path;
    const page = await cache.get(key, deps, render);
    if (page.status !== 200) return h.response(page.body).type(page.type).code(page.status).header('cache-control', 'public, max-age=10');
    // hapi answers a matching If-None-Match with 304 itself.
    const notModified = h.entity({ etag: page.etag.slice(1, -1) });
    if (notModified) {
      cache.metrics.notModified.inc();
      return notModified.header('cache-control', cacheControl);
    }
    return h.response(page.body).type(page.type).etag(page.etag.slice(1, -1)).header('cache-control', cacheControl);
  };

  // Known parameters are checked (400 names a bad one); others, like tracking tags, are ignored.
  const movieQuery = Joi.object({
    city: Joi.string().trim().min(1).max(64),
    day: Joi.string().pattern(/^\d{4}-\d{2}-\d{2}$/).message('"day" must be a date like 2026-11-23'),
  }).unknown(true);
  const id = (request: Request, name: string) => String(request.params[name]);
  const missing = (h: ResponseToolkit, format: 'html' | 'json', message: string) => {
    const page = notFound(format, message);
    return h.response(page.body).type(page.type).code(404);
  };

  return [
    { method: 'GET', path: '/', handler: (r, h) => respond(r, h, ['catalog'], () => renderHome(ctx.db, 'html')) },
    { method: 'GET', path: '/api/catalog', handler: (r, h) => respond(r, h, ['catalog'], () => renderHome(ctx.db, 'json')) },
    ...(['html', 'json'] as const).flatMap((format): ServerRoute[] => {
      const prefix = format === 'json' ? '/api' : '';
      return [
        {
          method: 'GET',
          path: `${prefix}/movies/{movieId}`,
          options: { validate: { query: movieQuery } },
          handler: (r, h) => {
            const movieId = id(r, 'movieId');
            if (!ID.test(movieId)) return missing(h, format, `no movie "${movieId}"`);
            return respond(r, h, ['catalog', `movie:${movieId}`], () => renderMovie(ctx.db, ctx.redis, movieId, { city: r.query.city as string | undefined, day: r.query.day as string | undefined }, format));
          },
        },
        {
          method: 'GET',
          path: `${prefix}/cinemas/{cinemaId}`,
          handler: (r, h) => {
            const cinemaId = id(r, 'cinemaId');
            if (!ID.test(cinemaId)) return missing(h, format, `no cinema "${cinemaId}"`);
            return respond(r, h, ['catalog', `cinema:${cinemaId}`], () => renderCinema(ctx.db, ctx.redis, cinemaId, format));
          },
        },
      ];
    }),
    {
      // Anything else the edge sends here: a real 404 page (or JSON under /api).
      method: 'GET',
      path: '/{path*}',
      handler: (r, h) => missing(h, r.path.startsWith('/api/') ? 'json' : 'html', `nothing at ${r.path}`),
    },
  ];
}

import Joi from 'joi';
import type { EventHandler, FunctionContext } from '@premiere/runtime';
import { AVAILABILITY } from './availability';
import { pagesOfShow } from './catalog';
import type { CatalogEnv } from './env';
import type { PageCache } from './page-cache';

/** Availability and catalog changes: only the pages they touch are refreshed, on their next request. */
export const catalogEvents: Record<string, EventHandler<FunctionContext<CatalogEnv>, any, PageCache>> = {
  'premiere.show.availability.changed': {
    data: Joi.object({ showId: Joi.string().pattern(/^[a-z0-9][a-z0-9-]{0,63}$/).required(), availability: Joi.string().valid(...AVAILABILITY).required() }),
    async handle({ data, ctx, deps: cache, log }) {
      const pages = await pagesOfShow(ctx.db, data.showId);
      if (!pages) {
        log.warn({ showId: data.showId }, 'availability of an unknown show ignored');
        return;
      }
      // The value itself is read from Redis at render time (see availability.ts).
      await cache.invalidate(`movie:${pages.movieId}`, `cinema:${pages.cinemaId}`);
    },
  },
  'premiere.catalog.changed': {
    data: Joi.object({}),
    async handle({ deps: cache }) {
      await cache.invalidate('catalog');
    },
  },
};

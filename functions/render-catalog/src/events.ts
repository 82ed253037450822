import { catalogChanged, showAvailabilityChanged } from '@premiere/contracts';
import { eventHandlers, on, type FunctionContext } from '@premiere/runtime';
import { pagesOfShow } from './catalog';
import type { CatalogEnv } from './env';
import type { PageCache } from './page-cache';

/** Availability and catalog changes: only the pages they touch are refreshed, on their next request. */
export const catalogEvents = eventHandlers<FunctionContext<CatalogEnv>, PageCache>(
  on(showAvailabilityChanged, {
    async handle({ data, ctx, deps: cache, log }) {
      const pages = await pagesOfShow(ctx.db, data.showId);
      if (!pages) {
        log.warn({ showId: data.showId }, 'availability of an unknown show ignored');
        return;
      }
      // The value itself is read from Redis at render time (see availability.ts).
      await cache.invalidate(`movie:${pages.movieId}`, `cinema:${pages.cinemaId}`);
    },
  }),
  on(catalogChanged, {
    async handle({ deps: cache }) {
      await cache.invalidate('catalog');
    },
  }),
);

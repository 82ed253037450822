import path from 'node:path';
import type { FunctionDefinition } from '@premiere/runtime';
import { catalogEnv, type CatalogEnv } from './env';
import { catalogEvents } from './events';
import { catalogPageCache, type PageCache } from './page-cache';
import { catalogRoutes } from './routes';

/**
 * render-catalog: the home, movie and cinema pages (and their JSON under /api), rendered once and
 * served from cache with strong ETags; refreshed by availability and catalog events, or their TTL.
 */
export const renderCatalog: FunctionDefinition<CatalogEnv, PageCache> = {
  name: 'render-catalog',
  env: catalogEnv,
  setup: catalogPageCache,
  routes: catalogRoutes,
  events: catalogEvents,
  redisScripts: path.resolve(__dirname, '../lua'),
};

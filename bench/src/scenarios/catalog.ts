import pino from 'pino';
import { createFunction, type FunctionDefinition } from '@premiere/runtime';
import { createTestDatabase, createTestRedisPrefix, TEST_REDIS_URL } from '@premiere/runtime/dist/testing';
import { loadDemoCatalog } from '@premiere/local-stack/dist/demo-catalog';
import { renderCatalog } from '@premiere/render-catalog';
import type { CatalogEnv } from '@premiere/render-catalog/dist/env';
import { renderHome } from '@premiere/render-catalog/dist/pages';
import type { Scenario } from '../scenario';

/**
 * The home page of the demo catalog, three ways: `cached` (served from the page cache),
 * `revalidate304` (a conditional request with the current ETag), `uncached` (the same page
 * rendered on every request: the catalog query and the HTML, no cache).
 */
export const catalog: Scenario = {
  name: 'catalog',
  async setup() {
    const db = await createTestDatabase();
    await loadDemoCatalog(db.url);
    const redis = createTestRedisPrefix();
    const def: FunctionDefinition<CatalogEnv> = {
      ...renderCatalog,
      routes: (ctx) => [
        ...renderCatalog.routes!(ctx),
        { method: 'GET', path: '/bench/uncached', handler: async (_r, h) => h.response((await renderHome(ctx.db, 'html')).body).type('text/html; charset=utf-8') },
      ],
    };
    const fn = createFunction(
      def,
      { PORT: '0', DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix, K_SINK: 'http://127.0.0.1:9/', LOG_LEVEL: 'info' },
      pino.destination({ dest: '/dev/null', sync: false }),
    );
    await fn.start();
    const url = `http://127.0.0.1:${fn.server.info.port}`;
    const etag = (await fetch(`${url}/`)).headers.get('etag')!;
    return {
      cases: {
        cached: { url: `${url}/` },
        revalidate304: { url: `${url}/`, headers: { 'if-none-match': etag }, expectStatus: 304 },
        uncached: { url: `${url}/bench/uncached` },
      },
      async teardown() {
        await fn.stop();
        await redis.clean();
        await db.drop();
      },
    };
  },
};

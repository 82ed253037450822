import pg from 'pg';
import pino from 'pino';
import { createFunction, type FunctionDefinition } from '@premiere/runtime';
import { i18n } from '@premiere/web';
import { createTestDatabase, createTestRedisPrefix, TEST_REDIS_URL } from '@premiere/testing';
import { loadDemoCatalog } from '@premiere/local-stack/demo-catalog';
import { renderCatalog } from '@premiere/render-catalog';
import type { CatalogEnv } from '@premiere/render-catalog/env';
import type { PageCache } from '@premiere/render-catalog/page-cache';
import { renderHome } from '@premiere/render-catalog/pages';
import type { Scenario } from '../scenario';

/**
 * The home page of a catalog the size of a national chain's (the demo catalog plus
 * `CHAIN_CINEMAS` cinemas in `CHAIN_CITIES` cities and `CHAIN_MOVIES` movies), three ways:
 * `cached` (served from the page cache), `revalidate304` (a conditional request with the current
 * ETag), `uncached` (the same page rendered on every request: the catalog query and the HTML, no
 * cache). The demo catalog alone (3 cinemas, 6 movies) renders in a fraction of the time a real
 * chain's home page takes, which would understate what the cache saves.
 */
export const catalog: Scenario = {
  name: 'catalog',
  async setup() {
    const db = await createTestDatabase();
    await loadDemoCatalog(db.url);
    await addChain(db.url);
    const redis = createTestRedisPrefix();
    const def: FunctionDefinition<CatalogEnv, PageCache> = {
      ...renderCatalog,
      routes: (ctx, cache) => [
        ...renderCatalog.routes!(ctx, cache),
        {
          method: 'GET',
          path: '/bench/uncached',
          handler: async (_r, h) =>
            h
              .response((await renderHome(ctx.db, 'html', { i18n: i18n('pt-BR'), path: '/' })).body)
              .type('text/html; charset=utf-8'),
        },
      ],
    };
    const fn = createFunction(
      def,
      {
        PORT: '0',
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: redis.prefix,
        K_SINK: 'http://127.0.0.1:9/',
        LOG_LEVEL: 'info',
      },
      pino.destination({ dest: '/dev/null', sync: false }),
    );
    await fn.start();
    const url = `http://127.0.0.1:${fn.server.info.port}`;
    const home = await fetch(`${url}/`);
    const etag = home.headers.get('etag')!;
    // cached and uncached answer the same page: their baselines answer it too (see bench/src/main.ts).
    const samePage = { type: home.headers.get('content-type')!, body: await home.text() };
    return {
      cases: {
        cached: { url: `${url}/`, baselineAnswer: samePage },
        revalidate304: { url: `${url}/`, headers: { 'if-none-match': etag }, expectStatus: 304 },
        uncached: { url: `${url}/bench/uncached`, baselineAnswer: samePage },
      },
      figures: async () => ({ page_bytes: Buffer.byteLength(samePage.body) }),
      async teardown() {
        await fn.stop();
        await redis.clean();
        await db.drop();
      },
    };
  },
};

// Brazil's largest chains run some 80–90 cinemas in about 40 cities, with 30–40 movies listed at once.
const CHAIN_CINEMAS = 80;
const CHAIN_CITIES = 40;
const CHAIN_MOVIES = 40;

/** Cinemas and movies (what the home page lists) for a chain-sized catalog; their synopses are of a real one's length. */
async function addChain(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO render_catalog.cinemas (id, name, city, address)
       SELECT 'chain-cinema-' || i, 'Cine Rede ' || i, 'Cidade ' || (i % $2), 'Avenida Principal ' || (i * 37) || ', Centro'
         FROM generate_series(1, $1::int) i`,
      [CHAIN_CINEMAS, CHAIN_CITIES],
    );
    await client.query(
      `INSERT INTO render_catalog.movies (id, title, synopsis, duration_minutes, rating, release_date, status)
       SELECT 'chain-movie-' || i, 'Chain Movie ' || i, repeat('A story of people and places, told across years and cities. ', 5),
              90 + i, '14', current_date - i, (ARRAY['now_showing', 'premiere', 'coming_soon'])[1 + i % 3]
         FROM generate_series(1, $1::int) i`,
      [CHAIN_MOVIES],
    );
  } finally {
    await client.end();
  }
}

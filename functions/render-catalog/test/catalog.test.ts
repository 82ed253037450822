import { CloudEvent, HTTP } from 'cloudevents';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  eventually,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  PREMIERE_SHOW_ID,
} from '@premiere/testing';
import { renderCatalog } from '../src';
import { showListingKeys } from '../src/keys';

let db: TestDatabase;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});
afterAll(async () => {
  await db.drop();
  await redis.clean();
});

async function start(env: Record<string, string> = {}, prefix = redis.prefix) {
  const fn = createFunction(
    renderCatalog,
    testEnv(db, prefix, { CATALOG_MEMORY_MS: '0', ...env }),
    captureLogs().stream,
  );
  running.push(fn);
  await fn.start();
  return { fn, url: `http://127.0.0.1:${fn.server.info.port}` };
}

const availabilityChanged = (id: string, showId: string, availability: string) =>
  HTTP.binary(
    new CloudEvent({
      id,
      type: 'premiere.show.availability.changed',
      source: '/premiere/issue-token',
      subject: showId,
      data: { showId, availability },
    }),
  );
const post = (url: string, m: { headers: Record<string, unknown>; body: unknown }) =>
  fetch(`${url}/events`, {
    method: 'POST',
    headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('render-catalog') },
    body: m.body as string,
  });

describe('render-catalog pages', () => {
  it('renders the home page: premieres, now showing, coming soon, and the cinemas', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const body = await res.text();
    const order = [
      '<h2>Estreias</h2>',
      'The Last Starfall',
      '<h2>Em cartaz</h2>',
      'Harbor Lights',
      '<h2>Em breve</h2>',
      'Echoes of Titan',
      '<h2>Cinemas</h2>',
      'Cine Copacabana',
    ];
    const positions = order.map((t) => body.indexOf(t));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(body).toContain('<meta name="viewport"');
    expect(body).toContain('href="/movies/last-starfall"');
  });

  it('renders a movie page grouped by city, cinema, room type and day, each show linking into its waiting room', async () => {
    const { url } = await start();
    const body = await (await fetch(`${url}/movies/last-starfall`)).text();
    expect(body).toContain('<h1>The Last Starfall</h1>');
    for (const t of [
      '<h2>São Paulo</h2>',
      '<h2>Rio de Janeiro</h2>',
      '<h3>Cine Paulista</h3>',
      '<h3>Cine Copacabana</h3>',
      '<strong>IMAX</strong>',
      '<strong>VIP</strong>',
    ])
      expect(body).toContain(t);
    expect(body).toContain(`href="/waiting-room/${PREMIERE_SHOW_ID}"`);
    expect(body).toContain('inteira R$\u00a070,00 · meia R$\u00a035,00');
    // In the cinema's time: the premiere starts at 23:00 UTC, 20:00 in São Paulo.
    expect(body).toMatch(new RegExp(`href="/waiting-room/${PREMIERE_SHOW_ID}">20:00<`));

    const json = await (await fetch(`${url}/api/movies/last-starfall?city=Rio%20de%20Janeiro`)).json();
    expect(json.movie).toMatchObject({ id: 'last-starfall', title: 'The Last Starfall', status: 'premiere' });
    expect(
      json.shows.map(
        (s: {
          cinemaId: string;
          availability: string;
          waitingRoom: string;
          timeZone: string;
          localStartsAt: string;
        }) => [s.cinemaId, s.availability, s.waitingRoom, s.timeZone, s.localStartsAt.slice(11)],
      ),
    ).toEqual([
      ['copacabana', 'available', '/waiting-room/last-starfall-copacabana-imax-d1', 'America/Sao_Paulo', '19:00'],
    ]);
  });

  it('renders a cinema page and the catalog as JSON', async () => {
    const { url } = await start();
    const body = await (await fetch(`${url}/cinemas/pinheiros`)).text();
    expect(body).toContain('<h1>Cine Pinheiros</h1>');
    expect(body).toContain('Rua dos Pinheiros 500, São Paulo');
    const catalog = await (await fetch(`${url}/api/catalog`)).json();
    expect(catalog.premiere.map((m: { id: string }) => m.id)).toEqual(['last-starfall']);
    expect(catalog.coming_soon.map((m: { id: string }) => m.id)).toEqual(['echoes-of-titan']);
    expect(catalog.now_showing).toHaveLength(3);
    expect(catalog.cinemas).toHaveLength(3);
  });

  it('answers unknown ids with a real 404 page or JSON error, and bad parameters with 400 naming them', async () => {
    const { url } = await start();
    const page = await fetch(`${url}/movies/no-such-movie`);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('Não encontramos o filme &quot;no-such-movie&quot;.');
    const api = await fetch(`${url}/api/cinemas/Not_An_Id`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({ error: 'no cinema "Not_An_Id"' });
    expect((await fetch(`${url}/somewhere/else`)).status).toBe(404);
    const bad = await fetch(`${url}/movies/last-starfall?day=tomorrow`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toBe('"day" must be a date like 2026-11-23');
    const empty = await fetch(`${url}/api/movies/last-starfall?city=`);
    expect(empty.status).toBe(400);
    expect((await empty.json()).message).toBe('"city" is not allowed to be empty');
    // Tracking tags are neither refused nor another cached copy of the page.
    const home = await fetch(`${url}/`);
    const tagged = await fetch(`${url}/?utm_source=newsletter`, {
      headers: { 'if-none-match': home.headers.get('etag')! },
    });
    expect(tagged.status).toBe(304);
  });
});

describe('render-catalog caching', () => {
  it('sends a strong ETag and CDN Cache-Control, and answers a matching If-None-Match with 304', async () => {
    const { url } = await start();
    const first = await fetch(`${url}/movies/harbor-lights`);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(first.headers.get('cache-control')).toBe('public, max-age=30, s-maxage=30, stale-while-revalidate=60');
    const again = await fetch(`${url}/movies/harbor-lights`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect(again.headers.get('etag')).toBe(etag);
    expect((await fetch(`${url}/movies/harbor-lights`, { headers: { 'if-none-match': '"other"' } })).status).toBe(200);
  });

  it('refreshes only the pages an availability event touches', async () => {
    const { fn, url } = await start({}, `${redis.prefix}event:`);
    const etagOf = async (path: string) => (await fetch(`${url}${path}`)).headers.get('etag');
    const before = {
      movie: await etagOf('/movies/last-starfall'),
      cinema: await etagOf('/cinemas/paulista'),
      other: await etagOf('/movies/harbor-lights'),
      home: await etagOf('/'),
    };
    // What the waiting room does when the tokens run out: the fact, then the event.
    await fn.ctx.redis.set(showListingKeys(PREMIERE_SHOW_ID).tokens, 'sold_out');
    expect((await fetch(`${url}/movies/last-starfall`)).headers.get('etag')).toBe(before.movie); // cached until told
    expect((await post(url, availabilityChanged('a-1', PREMIERE_SHOW_ID, 'sold_out'))).status).toBe(204);
    const body = await (await fetch(`${url}/movies/last-starfall`)).text();
    expect(body).toMatch(
      /<span class="show sold_out"><s>20:00<\/s> <small>esgotado<\/small><span class="visually-hidden">, The Last Starfall, [^<]+<\/span><\/span>/,
    );
    expect(body).not.toContain(`href="/waiting-room/${PREMIERE_SHOW_ID}"`);
    expect(await etagOf('/movies/last-starfall')).not.toBe(before.movie);
    expect(await etagOf('/cinemas/paulista')).not.toBe(before.cinema);
    expect(await etagOf('/movies/harbor-lights')).toBe(before.other);
    expect(await etagOf('/')).toBe(before.home);
  });

  it('picks up a change by TTL when the event never comes', async () => {
    const prefix = `${redis.prefix}ttl:`;
    const { fn, url } = await start({ CATALOG_TTL_SECONDS: '1', CATALOG_STALE_SECONDS: '0' }, prefix);
    expect(await (await fetch(`${url}/api/movies/last-starfall`)).json()).toMatchObject({
      shows: expect.arrayContaining([expect.objectContaining({ id: PREMIERE_SHOW_ID, availability: 'available' })]),
    });
    // The fact changes, but its event is lost.
    await fn.ctx.redis.set(showListingKeys(PREMIERE_SHOW_ID).tokens, 'few_left');
    const premiere = async () =>
      (await (await fetch(`${url}/api/movies/last-starfall`)).json()).shows.find(
        (s: { id: string }) => s.id === PREMIERE_SHOW_ID,
      ).availability;
    expect(await premiere()).toBe('available'); // still within its TTL
    await eventually(async () => (await premiere()) === 'few_left', 3_000, 100);
  });

  it('takes a show’s pre-sale mark away when its sales open, well within the TTL: the page is fresh until then, and the edge is told so', async () => {
    const early = await createTestDatabase();
    try {
      await loadDemoCatalog(early.url, new Date(), 4_000); // the IMAX shows' sales open in 4 s
      const fn = createFunction(
        renderCatalog,
        testEnv(early, `${redis.prefix}presale:`, { CATALOG_MEMORY_MS: '0' }),
        captureLogs().stream,
      );
      running.push(fn);
      await fn.start();
      const url = `http://127.0.0.1:${fn.server.info.port}`;
      const first = await fetch(`${url}/movies/last-starfall`);
      expect(await first.text()).toContain('vendas abrem');
      // Fresh at the edge only until the sales open (not the 30 s of max-age).
      const maxAge = Number(/max-age=(\d+)/.exec(first.headers.get('cache-control')!)?.[1]);
      expect(maxAge).toBeLessThanOrEqual(4);
      expect(first.headers.get('cache-control')).toMatch(/s-maxage=[0-4],/);
      await eventually(
        async () => !(await (await fetch(`${url}/movies/last-starfall`)).text()).includes('vendas abrem'),
        10_000,
        250,
      );
      expect((await fetch(`${url}/movies/last-starfall`)).headers.get('cache-control')).toBe(
        'public, max-age=30, s-maxage=30, stale-while-revalidate=60',
      );
    } finally {
      await Promise.all(running.splice(0).map((f) => f.stop()));
      await early.drop();
    }
  });

  it('refreshes every page on premiere.catalog.changed', async () => {
    const { url } = await start();
    const etag = (await fetch(`${url}/`)).headers.get('etag');
    await post(
      url,
      HTTP.binary(new CloudEvent({ id: 'c-1', type: 'premiere.catalog.changed', source: '/premiere/admin', data: {} })),
    );
    const res = await fetch(`${url}/`, { headers: { 'if-none-match': etag! } });
    expect(res.status).toBe(304); // same content, re-rendered: the same strong ETag
  });
});

describe('render-catalog when PostgreSQL fails', () => {
  it('serves the stale copy rather than an error', async () => {
    const prefix = `${redis.prefix}down:`;
    const { url } = await start({ CATALOG_TTL_SECONDS: '1', CATALOG_STALE_SECONDS: '60' }, prefix);
    const fresh = await (await fetch(`${url}/cinemas/paulista`)).text();
    // A second process on the same cache whose database is unreachable, after the TTL.
    const down = createFunction(
      renderCatalog,
      testEnv(db, prefix, { CATALOG_MEMORY_MS: '0', DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' }),
      captureLogs().stream,
    );
    running.push(down);
    await down.start();
    await new Promise((r) => setTimeout(r, 1_100));
    const res = await fetch(`http://127.0.0.1:${down.server.info.port}/cinemas/paulista`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(fresh);
  });
});

describe('render-catalog metrics and memory', () => {
  it('counts hits, misses, renders, render time and 304s on /metrics', async () => {
    const { url } = await start({}, `${redis.prefix}metrics:`);
    const etag = (await fetch(`${url}/cinemas/copacabana`)).headers.get('etag')!;
    await fetch(`${url}/cinemas/copacabana`);
    await fetch(`${url}/cinemas/copacabana`, { headers: { 'if-none-match': etag } });
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/premiere_catalog_cache_total\{outcome="miss"\} 1/);
    expect(text).toMatch(/premiere_catalog_cache_total\{outcome="hit"\} 2/);
    expect(text).toMatch(/premiere_catalog_render_seconds_count 1/);
    expect(text).toMatch(/premiere_catalog_not_modified_total 1/);
  });

  it('serves from its own memory for a moment, then from Redis again', async () => {
    // A window the 20 reads fit in even on a loaded machine.
    const { url } = await start({ CATALOG_MEMORY_MS: '3000' }, `${redis.prefix}memory:`);
    await fetch(`${url}/api/catalog`);
    const count = async (outcome: string) =>
      Number(
        new RegExp(`premiere_catalog_cache_total\\{outcome="${outcome}"\\} (\\d+)`).exec(
          await (await fetch(`${url}/metrics`)).text(),
        )?.[1] ?? 0,
      );
    for (let i = 0; i < 20; i++) expect((await fetch(`${url}/api/catalog`)).status).toBe(200);
    expect(await count('memory_hit')).toBe(20);
    expect(await count('hit')).toBe(0);
    await new Promise((r) => setTimeout(r, 3_100));
    await fetch(`${url}/api/catalog`);
    expect(await count('hit')).toBe(1); // from Redis, once memory forgot it
  });
});

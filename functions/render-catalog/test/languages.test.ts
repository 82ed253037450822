import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  englishIn,
  keysIn,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  PREMIERE_SHOW_ID,
} from '@premiere/testing';
import { renderCatalog } from '../src';

/**
 * The catalog in the visitor's language (issue 16): Portuguese first, English by Accept-Language or
 * by the switch, whose cookie sticks; prices and times by Intl, times in the cinema's zone; each
 * language its own cached copy. And /favicon.ico.
 */
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

async function start(env: Record<string, string> = {}) {
  const fn = createFunction(
    renderCatalog,
    testEnv(db, redis.prefix, { CATALOG_MEMORY_MS: '0', ...env }),
    captureLogs().stream,
  );
  running.push(fn);
  await fn.start();
  return `http://127.0.0.1:${fn.server.info.port}`;
}

const get = (url: string, headers: Record<string, string> = {}) => fetch(url, { headers, redirect: 'manual' });

describe('the catalog in the visitor’s language', () => {
  it('speaks Portuguese by default and for pt-BR, English for en', async () => {
    const url = await start();
    for (const headers of [
      {},
      { 'accept-language': 'pt-BR,pt;q=0.9,en;q=0.8' },
      { 'accept-language': 'fr-FR, pt;q=0.5' },
    ]) {
      const body = await (await get(`${url}/`, headers)).text();
      expect(body).toContain('<html lang="pt-BR">');
      for (const t of ['<h1>Programação</h1>', '<h2>Estreias</h2>', '<h2>Em cartaz</h2>', '<h2>Em breve</h2>'])
        expect(body).toContain(t);
      expect(body).not.toContain("What's on");
    }
    for (const headers of [
      { 'accept-language': 'en-US,en;q=0.9' },
      { 'accept-language': 'de, en-GB;q=0.8, pt;q=0.3' },
    ]) {
      const body = await (await get(`${url}/`, headers)).text();
      expect(body).toContain('<html lang="en">');
      for (const t of ['<h2>Premieres</h2>', '<h2>Now showing</h2>', '<h2>Coming soon</h2>']) expect(body).toContain(t);
    }
  });

  it('formats prices by locale in BRL and show times in the cinema’s time zone', async () => {
    const url = await start();
    const pt = await (await get(`${url}/movies/last-starfall`)).text();
    // The premiere starts at 23:00 UTC: 20:00 in São Paulo, whatever the server's zone.
    expect(pt).toMatch(new RegExp(`href="/waiting-room/${PREMIERE_SHOW_ID}">20:00<`));
    expect(pt).toContain('inteira R$\u00a070,00 · meia R$\u00a035,00');
    const en = await (await get(`${url}/movies/last-starfall`, { 'accept-language': 'en' })).text();
    expect(en).toMatch(new RegExp(`href="/waiting-room/${PREMIERE_SHOW_ID}">8:00\\sPM<`));
    expect(en).toContain('full R$70.00 · half R$35.00');
  });

  it('marks the shows whose sales have not opened, with when they open on the cinema’s clock, on the movie’s and the cinema’s pages', async () => {
    const url = await start();
    // The demo's premiere is on sale; its IMAX shows open their sales in ten minutes.
    const { shows } = await (await get(`${url}/api/movies/last-starfall`)).json();
    const presale = shows.filter((s: { salesOpenAt: string | null }) => s.salesOpenAt !== null);
    expect(presale.map((s: { roomType: string }) => s.roomType)).toEqual(['imax', 'imax']);
    /** The words of the show's link on a page (its tags' text, spaces made one). */
    const linkText = (page: string, showId: string) =>
      new RegExp(`<a class="[^"]*" href="/waiting-room/${showId}">(.*?)</a>`)
        .exec(page)?.[1]
        .replace(/<[^>]+>/g, '')
        .replace(/\s+/g, ' ');
    const opens = (locale: string, s: { salesOpenAt: string; timeZone: string }) =>
      new Intl.DateTimeFormat(locale, {
        weekday: 'short',
        day: 'numeric',
        month: 'short',
        hour: locale === 'en' ? 'numeric' : '2-digit',
        minute: '2-digit',
        timeZone: s.timeZone,
      })
        .format(new Date(s.salesOpenAt))
        .replace(/\s+/g, ' ');
    for (const path of ['/movies/last-starfall', '/cinemas/paulista']) {
      const pt = await (await get(`${url}${path}`)).text();
      const en = await (await get(`${url}${path}`, { 'accept-language': 'en' })).text();
      for (const s of presale.filter(
        (x: { cinemaId: string }) => path === '/movies/last-starfall' || x.cinemaId === 'paulista',
      )) {
        expect(linkText(pt, s.id)).toContain(`vendas abrem ${opens('pt-BR', s)}`);
        expect(linkText(en, s.id)).toContain(`sales open ${opens('en', s)}`);
        expect(pt).toMatch(new RegExp(`<a class="show presale" href="/waiting-room/${s.id}">`));
      }
      // On sale: no mark.
      expect(linkText(pt, PREMIERE_SHOW_ID)).not.toMatch(/venda/);
      expect(linkText(en, PREMIERE_SHOW_ID)).not.toMatch(/sale/);
    }
  });

  it('says a rating in words to screen readers, names each showtime link by its movie and time, and skips no heading level', async () => {
    const url = await start();
    const pt = await (await get(`${url}/`)).text();
    const en = await (await get(`${url}/`, { 'accept-language': 'en' })).text();
    /** A tag's words for a screen reader: what is not aria-hidden. */
    const heard = (tag: string) =>
      tag
        .replace(/<span aria-hidden="true">[^<]*<\/span>/g, '')
        .replace(/<[^>]+>/g, '')
        .trim();
    const tags = (page: string) =>
      [...page.matchAll(/<span class="tag">(.*?)<\/span><\/span>|<span class="tag">([^<]*)<\/span>/g)].map((m) =>
        heard(m[0]),
      );
    expect(tags(pt)).toContain('Classificação: 12 anos');
    expect(tags(pt)).toContain('Classificação: livre para todos os públicos');
    expect(tags(en)).toContain('Age rating: 12 and over');
    expect(tags(en)).toContain('Age rating: all ages');
    // A showtime's link says which movie and day, not only "20:00".
    const linkWords = (page: string) =>
      new RegExp(`<a class="[^"]*" href="/waiting-room/${PREMIERE_SHOW_ID}">(.*?)</a>`)
        .exec(page)![1]
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ');
    for (const path of ['/movies/last-starfall', '/cinemas/paulista']) {
      const words = linkWords(await (await get(`${url}${path}`)).text());
      expect(words).toContain('20:00');
      expect(words).toContain('The Last Starfall');
      expect(words).toMatch(/\d+ de \w+/); // the day
    }
    // Headings go down one level at a time on every page.
    for (const path of ['/', '/movies/last-starfall', '/cinemas/paulista']) {
      const levels = [...(await (await get(`${url}${path}`)).text()).matchAll(/<h([1-6])[\s>]/g)].map((m) =>
        Number(m[1]),
      );
      expect(levels[0]).toBe(1);
      levels.forEach((level, n) =>
        expect({ path, at: n, jump: level - (levels[n - 1] ?? 0) }).toEqual({
          path,
          at: n,
          jump: Math.min(level - (levels[n - 1] ?? 0), 1),
        }),
      );
    }
  });

  it('has a language switch on every page whose cookie sticks, over Accept-Language', async () => {
    const url = await start();
    const home = await (await get(`${url}/`)).text();
    expect(home).toContain('href="/language/en?next=%2F"');
    const movie = await (await get(`${url}/movies/last-starfall?city=Rio%20de%20Janeiro&utm_source=x`)).text();
    expect(movie).toContain(
      `href="/language/en?next=${encodeURIComponent('/movies/last-starfall?city=Rio+de+Janeiro')}"`,
    );

    const switched = await get(`${url}/language/en?next=${encodeURIComponent('/movies/last-starfall')}`);
    expect(switched.status).toBe(303);
    expect(switched.headers.get('location')).toBe('/movies/last-starfall');
    expect(switched.headers.get('set-cookie')).toMatch(/^premiere_lang=en; Max-Age=31536000;.*Path=\//); // a year
    expect(switched.headers.get('cache-control')).toBe('no-store');
    const cookie = switched.headers.get('set-cookie')!.split(';')[0];
    const page = await get(`${url}/movies/last-starfall`, { cookie, 'accept-language': 'pt-BR' });
    expect(await page.text()).toContain('<html lang="en">');
    expect(page.headers.get('vary')).toMatch(/accept-language.*cookie/i);
    const back = await get(`${url}/language/pt-BR?next=/`, { cookie });
    expect(back.headers.get('set-cookie')).toMatch(/^premiere_lang=pt-BR;/);
    expect(back.headers.get('set-cookie')).not.toMatch(/Secure/); // over http, as the edge says
    const overHttps = await get(`${url}/language/en?next=/`, { 'x-forwarded-proto': 'https' });
    expect(overHttps.headers.get('set-cookie')).toMatch(/; Secure(;|$)/);
    // Never back to another site.
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example']) {
      expect((await get(`${url}/language/en?next=${encodeURIComponent(next)}`)).headers.get('location')).toBe('/');
    }
  });

  it('sets the language cookie Secure with SESSION_COOKIE_SECURE=true, as every cookie of ours (behind a TLS ingress the edge does not know)', async () => {
    const url = await start({ SESSION_COOKIE_SECURE: 'true' });
    const switched = await get(`${url}/language/en?next=/`, { 'x-forwarded-proto': 'http' });
    expect(switched.headers.get('set-cookie')).toMatch(/^premiere_lang=en;.*; Secure(;|$)/);
  });

  it('keeps a copy of each page per language, with its own ETag', async () => {
    const url = await start();
    const first = await get(`${url}/cinemas/paulista`, { 'accept-language': 'en' });
    const pt = await get(`${url}/cinemas/paulista`, { 'accept-language': 'pt-BR' });
    const again = await get(`${url}/cinemas/paulista`, { 'accept-language': 'en' });
    expect(await first.text()).toContain('<html lang="en">');
    expect(await pt.text()).toContain('<html lang="pt-BR">');
    expect(await again.text()).toContain('<html lang="en">');
    expect(pt.headers.get('etag')).not.toBe(first.headers.get('etag'));
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    // A 404 page too.
    const missing = await get(`${url}/movies/no-such-movie`, { 'accept-language': 'pt-BR' });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Não encontramos o filme &quot;no-such-movie&quot;.');
  });

  it('has no English word and no message key on a Portuguese page, and no key on an English one (the movies’ titles aside)', async () => {
    const url = await start();
    // The demo movies' titles are the films' own (English) names: data, not the page's words. Their
    // synopses are Portuguese, and read as the page.
    const catalog = await (await get(`${url}/api/catalog`)).json();
    const data: string[] = Object.values(catalog)
      .flat()
      .map((m) => (m as { title?: string }).title)
      .filter((x): x is string => !!x);
    const withoutData = (page: string) => data.reduce((p, d) => p.split(d).join(' '), page.replace(/&#39;/g, "'"));
    for (const path of [
      '/',
      '/movies/last-starfall',
      '/movies/last-starfall?city=Manaus',
      '/cinemas/paulista',
      '/movies/no-such-movie',
      '/nowhere',
    ]) {
      const pt = withoutData(await (await get(`${url}${path}`)).text());
      expect({ path, english: englishIn(pt), keys: keysIn(pt) }).toEqual({ path, english: [], keys: [] });
      const en = await (await get(`${url}${path}`, { 'accept-language': 'en' })).text();
      expect({ path, keys: keysIn(en) }).toEqual({ path, keys: [] });
      if (path === '/')
        expect(englishIn(withoutData(en))).toEqual(expect.arrayContaining(['premieres', 'now', 'coming', 'soon'])); // it sees English
    }
  });

  it('serves /favicon.ico, cacheable', async () => {
    const url = await start();
    const res = await get(`${url}/favicon.ico`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/x-icon');
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=86400\b/); // a day
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 4)]).toEqual([0, 0, 1, 0]); // an ICO
    expect(bytes.length).toBeGreaterThan(1000);
  });
});

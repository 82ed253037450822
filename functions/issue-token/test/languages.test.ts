import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import { i18n, type Translator } from '@premiere/web';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  englishIn,
  keysIn,
  testEnv,
  visibleText,
  type TestDatabase,
  loadDemoCatalog,
  PREMIERE_SHOW_ID,
  addTestShow,
  NO_JOIN_LIMITS,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import { issueToken } from '../src';
import type { Alternative } from '../src/alternatives';
import { messagePage, soldOutPage, statusPage, waitingRoomPage, type ShowHeading } from '../src/pages';
import type { PublicStatus } from '../src/waiting-room';

/**
 * The waiting room in the visitor's language (issue 16): Portuguese first, English by
 * Accept-Language or the switch's cookie; the show's time, the opening of sales and the
 * alternatives' times in the cinema's zone, never the server's nor raw ISO.
 */
let db: TestDatabase;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];
/** A cinema an hour behind São Paulo, so that a time in the wrong zone shows. */
const MANAUS = 'manaus-i18n-test';

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  await c.query(
    "INSERT INTO render_catalog.cinemas (id, name, city, address, time_zone) VALUES ($1, 'Cine Amazonas', 'Manaus', 'Av. Eduardo Ribeiro 1', 'America/Manaus')",
    [MANAUS],
  );
  await c.end();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});
afterAll(async () => {
  await db.drop();
  await redis.clean();
});

async function start() {
  const fn = createFunction(
    issueToken,
    testEnv(db, redis.prefix, { TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS, ...NO_JOIN_LIMITS, STATUS_SNAPSHOT_MS: '0' }),
    captureLogs().stream,
  );
  running.push(fn);
  await fn.start();
  return `http://127.0.0.1:${fn.server.info.port}`;
}

let sessions = 0;
const newSession = () => `i18n-session-${process.pid}-${++sessions}-abcdef`;
/** A moment as each language writes it: the hour with two digits in Portuguese ("09:00"), without a leading zero in English ("8:00 PM"). */
const STYLES = (locale: string) => {
  const hour = locale === 'en' ? 'numeric' : '2-digit';
  return {
    dateTime: { weekday: 'short', day: 'numeric', month: 'short', hour, minute: '2-digit' },
    day: { weekday: 'short', day: 'numeric', month: 'short' },
    time: { hour, minute: '2-digit' },
  } as const;
};
const format = (locale: string, style: 'dateTime' | 'day' | 'time', when: Date, timeZone: string) =>
  new Intl.DateTimeFormat(locale, { ...STYLES(locale)[style], timeZone }).format(when);

describe('the waiting room in the visitor’s language', () => {
  it('is in Portuguese by default, English for en or the switch’s cookie, one cacheable copy per language, with the show’s time in the cinema’s zone', async () => {
    const url = await start();
    const startsAt = new Date('2027-01-10T23:00:00Z'); // 19:00 in Manaus, 20:00 in São Paulo
    const showId = await addTestShow(db.url, { seats: 10, cinema: MANAUS, startsAt });
    const pt = await fetch(`${url}/waiting-room/${showId}`);
    expect(pt.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=60');
    expect(pt.headers.get('vary')).toMatch(/accept-language.*cookie/i);
    const ptBody = await pt.text();
    expect(ptBody).toContain('<html lang="pt-BR">');
    expect(visibleText(ptBody).replace(/\s+/g, ' ')).toContain(
      `Cine Amazonas, Manaus · Tradicional · ${format('pt-BR', 'dateTime', startsAt, 'America/Manaus')}`,
    );
    expect(ptBody).toContain('19:00');
    for (const t of ['Entrando na fila…', '<button>Entrar na fila</button>', 'Deixe esta página aberta'])
      expect(ptBody).toContain(t);
    expect(ptBody).toContain(`href="/language/en?next=${encodeURIComponent(`/waiting-room/${showId}`)}"`);
    expect(ptBody).toContain('"America/Manaus"'); // the script formats in the cinema's zone too
    expect(gzipSync(ptBody).length).toBeLessThan(8_000); // as the edge sends it: its own styles, the leave dialog and the script's messages included

    for (const headers of [
      { 'accept-language': 'en-US,en;q=0.9' },
      { cookie: 'premiere_lang=en', 'accept-language': 'pt-BR' },
    ]) {
      const en = await (await fetch(`${url}/waiting-room/${showId}`, { headers })).text();
      expect(en).toContain('<html lang="en">');
      expect(en).toContain('<button>Join the line</button>');
      expect(visibleText(en).replace(/\s+/g, ' ')).toContain(
        `Cine Amazonas, Manaus · Regular · ${format('en', 'dateTime', startsAt, 'America/Manaus')}`,
      );
    }
  });

  it('says how many are ahead in words, with plurals, on the page without JavaScript', async () => {
    const url = await start();
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 1 });
    const sessions = [newSession(), newSession(), newSession(), newSession()];
    for (const s of sessions)
      expect(
        (
          await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
            method: 'POST',
            headers: { 'x-session-id': s },
          })
        ).ok,
      ).toBe(true);
    const statusPage = (session: string, headers: Record<string, string> = {}, query = '') =>
      fetch(`${url}/waiting-room/${showId}/status${query}`, { headers: { 'x-session-id': session, ...headers } }).then(
        (r) => r.text(),
      );
    expect(await statusPage(sessions[1])).toContain('Sua vez é a próxima');
    expect(await statusPage(sessions[2])).toContain(
      '<p class="big" id="place">1</p><p class="label">pessoa na sua frente</p>',
    );
    const third = await statusPage(sessions[3]);
    expect(third).toContain('<p class="big" id="place">2</p><p class="label">pessoas na sua frente</p>');
    expect(third).toContain('3 pessoas na fila'); // the one inside is not in line
    // The refresh says how many were ahead at first: the bar goes on from there (2 of 4 places).
    expect(third).toMatch(/content="\d+;url=\/waiting-room\/[^/]+\/status\?from=2"/);
    expect(await statusPage(sessions[3], {}, '?from=4')).toContain(
      'aria-valuenow="50" aria-valuetext="A fila andou 2 de 4 lugares até você"',
    );
    expect(third).toMatch(/Espera estimada: (menos de um minuto|cerca de)/);
    expect(third).toContain('<button class="secondary">Sair da fila</button>');
    const en = await statusPage(sessions[3], { 'accept-language': 'en' });
    expect(en).toContain('<p class="big" id="place">2</p><p class="label">people ahead of you</p>');
    expect(await statusPage(sessions[2], { 'accept-language': 'en' })).toContain(
      '<p class="label">person ahead of you</p>',
    );
  });

  it('tells when sales open in the cinema’s time, not as an ISO time', async () => {
    const url = await start();
    const salesOpenAt = new Date(Date.now() + 3_600_000);
    const showId = await addTestShow(db.url, { seats: 10, cinema: MANAUS, salesOpenAt });
    const session = newSession();
    const joined = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': session },
    });
    expect((await joined.json()).status.state).toBe('pre_queue');
    const page = await (
      await fetch(`${url}/waiting-room/${showId}/status`, { headers: { 'x-session-id': session } })
    ).text();
    expect(page).toContain(
      `As vendas abrem em ${format('pt-BR', 'day', salesOpenAt, 'America/Manaus')}, às ${format('pt-BR', 'time', salesOpenAt, 'America/Manaus')}.`,
    );
    expect(visibleText(page)).not.toMatch(/\d{4}-\d{2}-\d{2}T/); // (a <time datetime> says it to machines)
    const en = await (
      await fetch(`${url}/waiting-room/${showId}/status`, {
        headers: { 'x-session-id': session, 'accept-language': 'en' },
      })
    ).text();
    expect(en).toContain(
      `Sales open on ${format('en', 'day', salesOpenAt, 'America/Manaus')} at ${format('en', 'time', salesOpenAt, 'America/Manaus')}.`,
    );
  });

  it('says sold out in Portuguese, with the other shows at their cinema’s time', async () => {
    const url = await start();
    const showId = await addTestShow(db.url, { seats: 1, overbooking: 0 });
    await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': newSession() },
    });
    const page = await fetch(`${url}/waiting-room/${showId}/join`, { method: 'POST' });
    expect(page.status).toBe(410);
    const body = await page.text();
    expect(body).toContain('Ingressos esgotados');
    expect(body).toContain('<h2>Outras sessões com ingressos</h2>');
    expect(body).not.toContain(' UTC');
    const alternatives = (
      await (
        await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
          method: 'POST',
          headers: { 'x-session-id': newSession() },
        })
      ).json()
    ).alternatives;
    const premiere = alternatives.find((a: { showId: string }) => a.showId === PREMIERE_SHOW_ID);
    expect(premiere.timeZone).toBe('America/Sao_Paulo');
    expect(body).toContain(format('pt-BR', 'dateTime', new Date(premiere.startsAt), 'America/Sao_Paulo'));
  });
});

describe('every waiting-room page in both languages', () => {
  const show: ShowHeading = {
    showId: 'estrela-1',
    title: 'Estrela Cadente',
    cinemaName: 'Cine Paulista',
    city: 'São Paulo',
    roomType: 'imax',
    startsAt: Date.parse('2027-01-10T23:00:00Z'),
    timeZone: 'America/Sao_Paulo',
  };
  // Asserted, not declared: fields the status gains elsewhere (the estimate's state) do not matter here.
  const base = {
    showId: show.showId,
    state: 'waiting',
    place: 9,
    ahead: 7,
    waiting: 12,
    estimatedWaitSeconds: 200,
    estimate: 'about 3 minutes',
    pollAfterMs: 5_000,
    salesOpenAt: null,
    admissionsPaused: false,
    message: 'English, for apps',
  } as PublicStatus;
  const statuses: PublicStatus[] = [
    base,
    { ...base, ahead: 0 },
    { ...base, admissionsPaused: true },
    {
      ...base,
      state: 'pre_queue',
      place: null,
      ahead: null,
      estimatedWaitSeconds: null,
      estimate: null,
      salesOpenAt: '2027-01-09T15:00:00.000Z',
    },
    { ...base, state: 'admitted', enterUrl: '/checkout/estrela-1?access=x' },
    { ...base, state: 'sold_out' },
    { ...base, state: 'expired' },
    { ...base, state: 'left' },
    { ...base, state: 'finished' },
  ];
  const alternatives: Alternative[] = [
    {
      showId: 'estrela-2',
      title: 'Estrela Cadente',
      cinemaName: 'Cine Copacabana',
      city: 'Rio de Janeiro',
      roomType: 'regular',
      startsAt: '2027-01-11T22:00:00.000Z',
      timeZone: 'America/Sao_Paulo',
      url: '/waiting-room/estrela-2',
    },
  ];
  const pages = (i: Translator) => [
    waitingRoomPage(i, show),
    ...statuses.map((s) => statusPage(i, show, s)),
    soldOutPage(i, show, 'sold_out', alternatives),
    soldOutPage(i, show, 'started', []),
    messagePage(
      i,
      '/',
      i.t('wait.pleaseWait'),
      `${i.t('wait.networkFull')} ${i.t('wait.retryIn', { count: 60 })}`,
      60,
      '/waiting-room/estrela-1',
    ),
  ];

  it('has no English and no message key in Portuguese, and no message key in English', () => {
    for (const page of pages(i18n('pt-BR'))) {
      expect({ english: englishIn(page), keys: keysIn(page) }).toEqual({ english: [], keys: [] });
    }
    for (const page of pages(i18n('en'))) expect(keysIn(page)).toEqual([]);
    // The check sees English when there is some.
    expect(englishIn(waitingRoomPage(i18n('en'), show))).toEqual(expect.arrayContaining(['join', 'line', 'page']));
    expect(statusPage(i18n('pt-BR'), show, { ...base, ahead: 7 })).toContain(
      '<p class="label">pessoas na sua frente</p>',
    );
    expect(statusPage(i18n('pt-BR'), show, base)).toContain('Espera estimada: cerca de 3 minutos');
    expect(statusPage(i18n('en'), show, base)).toContain('Estimated wait: about 3 minutes');
    expect(statusPage(i18n('pt-BR'), show, statuses[2])).toContain(
      'Não dá para estimar a espera até que as entradas voltem.',
    );
    expect(statusPage(i18n('pt-BR'), show, statuses[3])).toContain('As vendas abrem em sáb., 9 de jan., às 12:00.');
  });
});

describe('a page address with a bad part', () => {
  it('answers a browser with a page in its language, and an app with the JSON it reads', async () => {
    const url = await start();
    for (const [accept, words] of [
      ['pt-BR', 'Página não encontrada'],
      ['en', 'Not found'],
    ]) {
      const res = await fetch(`${url}/waiting-room/NOT-A-SHOW`, {
        headers: { accept: 'text/html', 'accept-language': accept },
      });
      expect(res.status).toBe(404);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      const body = await res.text();
      expect(body).toContain(`<html lang="${accept}">`);
      expect(body).toContain(words);
      expect(body).not.toMatch(/statusCode|Bad Request|must be/);
    }
    const api = await fetch(`${url}/waiting-room/NOT-A-SHOW`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(400);
    expect((await api.json()).message).toMatch(/showId/);
  });
});

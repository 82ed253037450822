import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createFunction, type FunctionDefinition, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  englishIn,
  keysIn,
  producer,
  testEnv,
  type TestDatabase,
} from '@premiere/testing';
import { CATALOGS, i18n, LOCALES, negotiate, scriptKeys, type MessageKey } from '../src';

/**
 * The message catalogs (issue 16): every language has every message, with the same parameters;
 * every key the code uses (the server's `t(…)`, the page scripts' `t('…')`, key names in maps)
 * exists; and every message is used. Pages rendered in each language are checked by their own
 * functions' tests (languages.test.ts), with this package's testing helpers.
 */
const ROOT = path.resolve(__dirname, '../../..');
const keys = (locale: (typeof LOCALES)[number]) => Object.keys(CATALOGS[locale]).sort();
const paramsOf = (message: string | Record<string, string | undefined>) =>
  [
    ...new Set(
      (typeof message === 'string' ? [message] : Object.values(message)).flatMap((m) =>
        [...(m ?? '').matchAll(/\{(\w+)\}/g)].map((x) => x[1]),
      ),
    ),
  ].sort();

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'test') return [];
    if (statSync(full).isDirectory()) return sources(full);
    return full.endsWith('.ts') && !full.includes(`${path.sep}i18n${path.sep}`) ? [full] : [];
  });
}
/** The visitor-facing functions' code (the operators' page, admit-batch, is in Portuguese only, its words in its own code). */
const CODE = [
  'packages/web/src',
  'packages/runtime/src',
  'packages/contracts/src',
  'functions/render-catalog/src',
  'functions/issue-token/src',
  'functions/reserve-seat/src',
].flatMap((d) => sources(path.join(ROOT, d)));
/** What looks like a message key in code: 'area.what…' in quotes, for an area of the catalogs. */
const AREAS = [...new Set(keys('pt-BR').map((k) => k.split('.')[0]))];
const KEY_LITERAL = new RegExp(`['\`]((?:${AREAS.join('|')})\\.[A-Za-z0-9_.]+)['\`]`, 'g');

describe('the message catalogs', () => {
  it('has every message in every language, each a string or a plural alike, with the same parameters', () => {
    expect(keys('en')).toEqual(keys('pt-BR'));
    for (const key of keys('pt-BR') as MessageKey[]) {
      const [pt, en] = [CATALOGS['pt-BR'][key], CATALOGS.en[key]];
      expect({ key, kind: typeof en }).toEqual({ key, kind: typeof pt });
      expect({ key, params: paramsOf(en) }).toEqual({ key, params: paramsOf(pt) });
      for (const text of typeof pt === 'string' ? [pt, en as string] : [...Object.values(pt), ...Object.values(en)])
        expect(text?.trim()).toBeTruthy();
      if (typeof pt !== 'string')
        for (const plural of [pt, en])
          expect(Object.keys(plural as object)).toEqual(expect.arrayContaining(['one', 'other']));
    }
  });

  it('speaks to the visitor in Portuguese without assuming their gender', () => {
    // Words that agree with the visitor's gender ("o próximo", "admitido", "bem-vindo"): the
    // Portuguese is written around them ("sua vez é a próxima", "passou pela sala de espera").
    const gendered = /\b(o próxim[oa] da fila|admitid[oa]s?|bem-vind[oa]s?|convidad[oa]s?|pront[oa] para)\b/i;
    const found = Object.entries(CATALOGS['pt-BR']).flatMap(([key, message]) =>
      (typeof message === 'string' ? [message] : Object.values(message))
        .filter((m) => m && gendered.test(m))
        .map((m) => `${key}: ${m}`),
    );
    expect(found).toEqual([]);
  });

  it('has every key the code uses, and uses every key it has', () => {
    const used = new Set<string>();
    for (const file of CODE) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(KEY_LITERAL)) used.add(m[1]);
      for (const k of scriptKeys(text)) used.add(k);
    }
    const known = new Set(keys('pt-BR'));
    expect([...used].filter((k) => !known.has(k))).toEqual([]);
    expect([...known].filter((k) => !used.has(k))).toEqual([]);
  });
});

describe('the visitor’s language', () => {
  it('is the cookie’s, else Accept-Language’s best (by q, then order), else Portuguese', () => {
    expect(negotiate(undefined, undefined)).toBe('pt-BR');
    expect(negotiate('en', 'pt-BR')).toBe('en');
    expect(negotiate('fr', 'en-US')).toBe('en'); // a cookie of no language of ours is ignored
    expect(negotiate(undefined, 'en-US,en;q=0.9')).toBe('en');
    expect(negotiate(undefined, 'pt-PT, en;q=0.8')).toBe('pt-BR');
    expect(negotiate(undefined, 'de-DE, en;q=0.5, pt;q=0.7')).toBe('pt-BR');
    expect(negotiate(undefined, 'en;q=0, pt;q=0.1')).toBe('pt-BR');
    // Not a qvalue (RFC 9110 caps q at 1): ignored, so the first tag keeps its lead (the edge keys on it).
    expect(negotiate(undefined, 'pt, en;q=1.5')).toBe('pt-BR');
    expect(negotiate(undefined, 'de, en;q=2')).toBe('en');
    expect(negotiate(undefined, 'EN-gb')).toBe('en');
    expect(negotiate(undefined, 'fr, de')).toBe('pt-BR');
    expect(negotiate(undefined, '*')).toBe('pt-BR');
  });

  it('formats plurals, numbers, money and times per locale, times in the zone given (never the server’s)', () => {
    const [pt, en] = [i18n('pt-BR'), i18n('en')];
    expect(pt.t('wait.lineSize', { count: 1 })).toBe('1 pessoa na fila');
    expect(pt.t('wait.lineSize', { count: 1234 })).toBe('1.234 pessoas na fila');
    expect(en.t('wait.lineSize', { count: 1234 })).toBe('1,234 people in line');
    expect(pt.money(7000, 'BRL')).toBe('R$\u00a070,00');
    expect(en.money(7000, 'BRL')).toBe('R$70.00');
    const at = '2026-12-03T23:00:00Z';
    expect(pt.when(at, 'America/Sao_Paulo', 'time')).toBe('20:00');
    expect(pt.when(at, 'America/Manaus', 'time')).toBe('19:00');
    expect(pt.when(at, 'America/Sao_Paulo')).toBe('qui., 3 de dez., 20:00');
    // English writes the hour without a leading zero ("8:00 PM"); Brazil keeps two digits ("09:00").
    expect(en.when(at, 'America/Sao_Paulo')).toBe('Thu, Dec 3, 8:00 PM');
    expect(en.when(at, 'America/Sao_Paulo', 'time')).toBe('8:00 PM');
    expect(en.when(at, 'America/Sao_Paulo', 'clock')).toBe('8:00:00 PM');
    const morning = '2026-12-03T12:05:00Z';
    expect(pt.when(morning, 'America/Sao_Paulo', 'time')).toBe('09:05');
    expect(pt.when(morning, 'America/Sao_Paulo')).toBe('qui., 3 de dez., 09:05');
    expect(pt.when(morning, 'America/Sao_Paulo', 'clock')).toBe('09:05:00');
    expect(en.when(morning, 'America/Sao_Paulo', 'time')).toBe('9:05 AM');
    expect(pt.date('2026-12-03')).toBe('3 de dez. de 2026');
  });
});

describe('the outage page', () => {
  let db: TestDatabase;
  const redis = createTestRedisPrefix();
  let fn: RunningFunction | undefined;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await fn?.stop();
    await db.drop();
    await redis.clean();
  });

  it('is in the visitor’s language, with the switch', async () => {
    // A route failing as a lost Redis does: the runtime answers 503 with a page that tries again.
    const failing: FunctionDefinition = {
      ...producer(),
      routes: () => [
        {
          method: 'GET',
          path: '/somewhere',
          handler: () => {
            throw new Error('Connection is closed.');
          },
        },
      ],
    };
    fn = createFunction(failing, testEnv(db, redis.prefix), captureLogs().stream);
    await fn.start();
    const url = `http://127.0.0.1:${fn.server.info.port}/somewhere`;
    const pt = await fetch(url, { headers: { accept: 'text/html' } });
    expect(pt.status).toBe(503);
    const body = await pt.text();
    expect(body).toContain('<h1>Já voltamos</h1>');
    expect(body).toContain('href="/language/en?next=%2Fsomewhere"');
    expect({ english: englishIn(body), keys: keysIn(body) }).toEqual({ english: [], keys: [] });
    const en = await (await fetch(url, { headers: { accept: 'text/html', 'accept-language': 'en' } })).text();
    expect(en).toMatch(/Back in a moment[\s\S]*tries again by itself/);
  });
});

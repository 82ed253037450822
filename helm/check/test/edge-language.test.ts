import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Hapi from '@hapi/hapi';
import YAML from 'yaml';
import { LANGUAGE_COOKIE, languageCookie, localeOf, negotiate, VARY_LANGUAGE } from '@premiere/web';
import { eventually } from '@premiere/testing';
import { findHelm, KUBE_VERSION } from '../src/helm';
import { findNginx, writeEdgeConfig } from '../src/nginx';

/**
 * The chart's NGINX edge caches the visitors' pages (catalog, waiting room) once per language
 * (issue 16): a visitor never gets a copy in another language than the function would have
 * answered them in (by the language cookie, else Accept-Language), and visitors of one language
 * share a copy whatever their other cookies (their sessions), so the cache is not split by visitor.
 * The local edge caches nothing, so it cannot serve a wrong language; this is the chart's part.
 *
 * A stand-in render-catalog answers as the real pages do: public Cache-Control, Vary:
 * Accept-Language, Cookie, and the language the runtime's negotiate() picks. Needs helm and nginx
 * (skipped without them, except under CI).
 */
const ROOT = path.resolve(__dirname, '../../..');
const nginx = findNginx();
const helm = findHelm();
const languageTest = (nginx && helm) || process.env.CI ? describe : describe.skip;
const FUNCTIONS = ['issue-token', 'admit-batch', 'reserve-seat', 'process-payment', 'render-catalog'];

function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

languageTest('the chart’s edge caches a page per language', () => {
  let stub: Hapi.Server;
  let child: ChildProcess;
  let dir: string;
  let edge: string;
  let rendered = 0;

  beforeAll(async () => {
    if (!nginx || !helm) throw new Error('helm and nginx are needed under CI');
    stub = Hapi.server({ port: 0, host: '127.0.0.1' });
    stub.route({
      method: 'GET',
      path: '/{any*}',
      handler: (request, h) => {
        rendered++;
        // The functions' own choice of language.
        return h
          .response(`${request.path} in ${localeOf(request)}`)
          .header('cache-control', 'public, max-age=60, s-maxage=60')
          .header('vary', VARY_LANGUAGE);
      },
    });
    await stub.start();
    const upstream = `127.0.0.1:${stub.info.port}`;
    const yaml = execFileSync(
      helm,
      [
        'template',
        'premiere',
        path.join(ROOT, 'helm/premiere'),
        '--kube-version',
        KUBE_VERSION,
        '--show-only',
        'templates/edge-config.yaml',
      ],
      { encoding: 'utf8' },
    );
    const configMap = YAML.parseAllDocuments(yaml)
      .map((d) => d.toJS())
      .find((d) => d?.kind === 'ConfigMap');
    dir = mkdtempSync(path.join(os.tmpdir(), 'premiere-edge-language-'));
    const port = await freeLocalPort();
    const conf = writeEdgeConfig(dir, configMap.data, [
      ['listen 8080;', `listen 127.0.0.1:${port};`],
      ...FUNCTIONS.map((fn): [string, string] => [`premiere-${fn}.default.svc.cluster.local`, upstream]),
    ]);
    child = spawn(nginx, ['-p', dir, '-c', conf, '-e', 'stderr', '-g', 'daemon off;'], { stdio: 'ignore' });
    edge = `http://127.0.0.1:${port}`;
    await eventually(async () => (await fetch(`${edge}/edge/healthz`).catch(() => null))?.ok === true, 10_000, 100);
  }, 60_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await stub?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const get = async (pathname: string, headers: Record<string, string>) => {
    const res = await fetch(`${edge}${pathname}`, { headers });
    return { body: await res.text(), cache: res.headers.get('x-cache'), vary: res.headers.get('vary') };
  };

  /** A GET with headers as given, a header given as a list sent once per value. */
  const rawGet = (pathname: string, headers: Record<string, string | string[]>) =>
    new Promise<string>((resolve, reject) => {
      const request = http.get(`${edge}${pathname}`, { headers }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve(body));
      });
      request.on('error', reject);
    });

  it('keeps one copy per language for the browsers’ many ways of asking for it', async () => {
    const portuguese = ['pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7', 'pt-BR', 'pt', ' pt-PT , en;q=0.5', 'PT-br,pt;q=0.9'];
    const english = ['en-US,en;q=0.9', 'en-GB,en;q=0.9,pt;q=0.8', 'en', 'en-US,pt-BR;q=0.5'];
    for (const [variants, locale] of [
      [portuguese, 'pt-BR'],
      [english, 'en'],
    ] as const) {
      rendered = 0;
      for (const acceptLanguage of variants) {
        expect(negotiate(undefined, acceptLanguage)).toBe(locale);
        const answer = await get(`/cinemas/paulista?variants=${locale}`, { 'accept-language': acceptLanguage });
        expect({ acceptLanguage, body: answer.body }).toEqual({
          acceptLanguage,
          body: `/cinemas/paulista in ${locale}`,
        });
      }
      expect({ locale, rendered }).toEqual({ locale, rendered: 1 });
    }
    // A visitor with no Accept-Language (fetch would send `*`) reads Portuguese, from the same copy.
    rendered = 0;
    expect(await rawGet('/cinemas/paulista?variants=pt-BR', {})).toBe('/cinemas/paulista in pt-BR');
    expect(rendered).toBe(0);
  });

  it('answers each visitor in their language, from one copy per language shared by every session', async () => {
    const visitors: Record<string, string>[] = [
      { 'accept-language': 'pt-BR,pt;q=0.9' },
      { 'accept-language': 'en-US,en;q=0.9' },
      {},
      { 'accept-language': 'en-US,en;q=0.9', cookie: `${LANGUAGE_COOKIE}=pt-BR` },
      { 'accept-language': 'pt-BR', cookie: `premiere_session=aaaaaaaaaaaaaaaaaaaa; ${LANGUAGE_COOKIE}=en` },
      { 'accept-language': 'pt-BR', cookie: `${LANGUAGE_COOKIE}=en; premiere_session=bbbbbbbbbbbbbbbbbbbb` },
      { 'accept-language': 'de, en;q=0.5' },
    ];
    for (const pathname of ['/movies/last-starfall', '/waiting-room/last-starfall-premiere']) {
      for (const round of [1, 2]) {
        for (const headers of visitors) {
          const expected = negotiate(
            /premiere_lang=([^;]+)/.exec(headers.cookie ?? '')?.[1],
            headers['accept-language'],
          );
          const answer = await get(pathname, headers);
          expect({ headers, round, body: answer.body }).toEqual({ headers, round, body: `${pathname} in ${expected}` });
          expect(answer.vary).toMatch(/Accept-Language, Cookie/);
        }
      }
    }
    // A visitor who sends the cookie twice, or its name in capitals, gets the page the edge's key
    // says (NGINX reads the first, in any case): never a copy in another language for those after.
    const attacks: [Record<string, string>, Record<string, string>][] = [
      [
        { cookie: `${LANGUAGE_COOKIE}=en; ${LANGUAGE_COOKIE}=en`, 'accept-language': 'pt-BR' },
        { cookie: `${LANGUAGE_COOKIE}=en` },
      ],
      [
        { cookie: `${LANGUAGE_COOKIE.toUpperCase()}=en`, 'accept-language': 'pt-BR' },
        { cookie: `${LANGUAGE_COOKIE}=en` },
      ],
      [
        { cookie: `${LANGUAGE_COOKIE}=pt-BR; ${LANGUAGE_COOKIE}=en`, 'accept-language': 'en' },
        { cookie: `${LANGUAGE_COOKIE}=pt-BR; premiere_session=eeeeeeeeeeeeeeeeeeee` },
      ],
    ];
    for (const [i, [attacker, visitor]] of attacks.entries()) {
      const pathname = `/movies/last-starfall?attack=${i}`;
      await get(pathname, attacker);
      const expected = negotiate(/premiere_lang=([^;]+)/.exec(visitor.cookie)?.[1], undefined);
      expect({ attacker, body: (await get(pathname, visitor)).body }).toEqual({
        attacker,
        body: `${pathname.split('?')[0]} in ${expected}`,
      });
    }

    // The language a copy is keyed under is the language it was rendered in, whatever the
    // visitor sends: a q above 1 (not a qvalue), the header twice (NGINX before 1.23 reads the
    // first, the functions would read both), cookies split as NGINX splits them (at "," too, a tab
    // not skipped), or a key that two different requests would spell alike.
    const tricks: [Record<string, string | string[]>, Record<string, string>][] = [
      [{ 'accept-language': 'pt, en;q=1.5' }, { 'accept-language': 'pt' }],
      [{ 'accept-language': ['de', 'en'] }, { 'accept-language': 'de' }],
      [{ cookie: `x=1;\t${LANGUAGE_COOKIE}=en` }, {}],
      [{ cookie: `a=b, ${LANGUAGE_COOKIE}=pt-BR; ${LANGUAGE_COOKIE}=en` }, { cookie: `${LANGUAGE_COOKIE}=pt-BR` }],
      [{ cookie: `a=b, ${LANGUAGE_COOKIE}=en; ${LANGUAGE_COOKIE}=pt-BR` }, { cookie: `${LANGUAGE_COOKIE}=en` }],
      [
        { cookie: `${LANGUAGE_COOKIE}=x accept-language=de`, 'accept-language': 'en' },
        { cookie: `${LANGUAGE_COOKIE}=x`, 'accept-language': 'de en' },
      ],
    ];
    for (const [n, [attacker, visitor]] of tricks.entries()) {
      const pathname = `/movies/last-starfall?trick=${n}`;
      await rawGet(pathname, attacker);
      const expected = negotiate(languageCookie(visitor.cookie), visitor['accept-language']);
      expect({ attacker, body: await rawGet(pathname, visitor) }).toEqual({
        attacker,
        body: `/movies/last-starfall in ${expected}`,
      });
    }

    // Two sessions choosing English by the cookie share one copy: the second is a hit.
    rendered = 0;
    const first = await get('/cinemas/paulista', {
      cookie: `premiere_session=cccccccccccccccccccc; ${LANGUAGE_COOKIE}=en`,
    });
    const second = await get('/cinemas/paulista', {
      cookie: `premiere_session=dddddddddddddddddddd; ${LANGUAGE_COOKIE}=en`,
    });
    expect([first.body, second.body]).toEqual(['/cinemas/paulista in en', '/cinemas/paulista in en']);
    expect(second.cache).toBe('HIT');
    expect(rendered).toBe(1);
  });
});

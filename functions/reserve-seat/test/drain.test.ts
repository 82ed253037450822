import type Hapi from '@hapi/hapi';
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { sessionHash, TokenSigner } from '@premiere/contracts';
import {
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  TEST_ADMIN_TOKEN as ADMIN_TOKEN,
  TEST_SIGNING_KEYS as TOKEN_SIGNING_KEYS,
} from '@premiere/testing';
import { catalogSeats, createLegacyCinema } from '@premiere/simulators';

/**
 * "A drain drops nothing": reserve-seat as its container runs it (dist/main.js), a crowd of
 * holds and seat maps in flight over keep-alive connections (as the edge and Knative's
 * queue-proxy send them), and SIGTERM 250 ms later. Every request it had accepted is answered,
 * readiness fails at once, requests still arriving during the drain are served, and then it
 * closes and exits 0.
 */
let db: TestDatabase;
const redis = createTestRedisPrefix();
let legacy: Hapi.Server;
let legacyUrl: string;
const [KEY_ID, KEY] = Object.entries(JSON.parse(TOKEN_SIGNING_KEYS) as Record<string, string>)[0];
const signer = new TokenSigner({ [KEY_ID]: KEY });
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
  const catalog = new pg.Pool({ connectionString: db.url, max: 2 });
  // Slow, as the cinema's system is (300-1500 ms a call).
  legacy = createLegacyCinema({
    port: 0,
    seatsOf: catalogSeats(catalog),
    latencyMs: [300, 1500],
    concurrencyLimit: 10,
    holdSeconds: 120,
    overload: '503',
    stallMs: 0,
  });
  legacy.events.on('stop', () => void catalog.end());
  await legacy.start();
  legacyUrl = `http://127.0.0.1:${legacy.info.port}`;
});
afterAll(async () => {
  await legacy.stop();
  await db.drop();
  await redis.clean();
});

/** One request over `agent`: its status, or 0 when the connection was reset or refused. */
function send(
  agent: http.Agent,
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request(url, { agent, method: opts.method ?? 'GET', headers: opts.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(opts.body);
  });
}

/** A request on a connection of its own: its status and Connection header, or 'refused' when no connection was taken. */
function lateRequest(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; connection?: string } | 'refused'> {
  return new Promise((resolve) => {
    const req = http.request(url, { agent: false, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      res.on('error', () => resolve({ status: 0 }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : { status: 0 }));
    req.end();
  });
}

function startReserveSeat(env: Record<string, string>) {
  const child: ChildProcess = spawn(process.execPath, [path.resolve(__dirname, '../dist/main.js')], {
    env: {
      ...process.env,
      ...testEnv(db, redis.prefix, {
        HOST: '127.0.0.1',
        LEGACY_URL: legacyUrl,
        TOKEN_SIGNING_KEYS,
        ADMIN_TOKEN,
        ADDRESS_HELD_SEATS_SHARE: '0',
        ...env,
      }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = {
    child,
    output: '',
    exited: new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout!.on('data', (c) => (run.output += c));
  child.stderr!.on('data', (c) => (run.output += c));
  return run;
}

describe('draining on SIGTERM', () => {
  it('answers every one of 72 holds and seat maps in flight when SIGTERM comes 250 ms later, fails readiness first, serves what still arrives, then exits 0', async () => {
    const showId = await addTestShow(db.url, { seats: 100 });
    const fn = startReserveSeat({ SHUTDOWN_DRAIN_MS: process.env.TEST_DRAIN_MS ?? '1500' });
    try {
      const port = await eventually(() => /"port":(\d+)/.exec(fn.output)?.[1], 20_000);
      const url = `http://127.0.0.1:${port}`;
      await eventually(async () => (await fetch(`${url}/readyz`)).ok, 20_000, 100);

      // 72 admitted visitors, each entered (their zone pass in hand).
      const visitors = await Promise.all(
        Array.from({ length: 72 }, async (_, i) => {
          const vid = i + 1;
          const session = `drain-session-${String(vid).padStart(12, '0')}`;
          const access = signer.sign({
            typ: 'access',
            show: showId,
            vid,
            place: vid,
            ses: sessionHash(session),
            iat: now(),
            exp: now() + 120,
          });
          const res = await fetch(`${url}/checkout/${showId}?access=${access}`, {
            headers: { 'x-session-id': session },
          });
          expect(res.status).toBe(200);
          const pass = (await res.json()).zoneToken as string;
          return {
            vid,
            headers: { authorization: `Bearer ${pass}`, 'x-session-id': session, 'content-type': 'application/json' },
          };
        }),
      );

      // Over keep-alive connections, as the edge's agent sends them: a third on connections open
      // and idle from an earlier round (the server cannot tell one from a connection nobody uses),
      // the rest on new ones.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
      await Promise.all(visitors.slice(0, 24).map((v) => send(agent, `${url}/readyz`, { headers: v.headers })));
      const inFlight = visitors.map((v, i) =>
        i % 2 === 0
          ? send(agent, `${url}/checkout/api/shows/${showId}/orders`, {
              method: 'POST',
              headers: v.headers,
              body: JSON.stringify({ seats: [{ seat: `A${v.vid}`, ticketType: 'full' }] }),
            })
          : send(agent, `${url}/checkout/api/shows/${showId}/seats`, { headers: v.headers }),
      );
      // Traffic goes on arriving, as it does until the data plane sees the function unready: a
      // seat map every 100 ms, each on a new connection.
      const late: { status: number; connection?: string }[] = [];
      let refused = false;
      const arriving = (async () => {
        while (!refused) {
          const answer = await lateRequest(`${url}/checkout/api/shows/${showId}/seats`, visitors[1].headers);
          if (answer === 'refused') refused = true;
          else late.push(answer);
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      await new Promise((r) => setTimeout(r, 250));
      fn.child.kill('SIGTERM');

      // Readiness fails at once, and what still comes is served, its connection closed after it;
      // then new connections are refused (never reset, never a 5xx).
      await eventually(async () => (await fetch(`${url}/readyz`)).status === 503, 5_000, 20);
      await arriving;
      expect(late.filter((a) => a.status !== 200)).toEqual([]);
      expect(late.filter((a) => a.connection === 'close').length).toBeGreaterThan(0);

      const statuses = await Promise.all(inFlight);
      const lost = statuses.filter((s) => s === 0 || s >= 500).length;
      expect({ lost, statuses: [...new Set(statuses)].sort() }).toEqual({ lost: 0, statuses: [200, 201] });
      expect(await fn.exited).toBe(0);
      agent.destroy();
      const lines = fn.output
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l).msg);
      expect(lines).toEqual(expect.arrayContaining(['signal received', 'stopped']));
    } finally {
      if (fn.child.exitCode === null) fn.child.kill('SIGKILL');
    }
  }, 120_000);
});

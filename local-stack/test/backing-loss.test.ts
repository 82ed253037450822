import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import type Hapi from '@hapi/hapi';
import nock from 'nock';
import { callHttp, createFunction, migrate } from '@premiere/runtime';
import { sessionHash, TokenSigner } from '@premiere/contracts';
import {
  captureLogs,
  eventAuthEnv,
  eventAuthorization,
  eventually,
  addTestShow,
  NO_JOIN_LIMITS,
  TEST_SIGNING_KEYS,
  restartablePostgres,
  restartableRedis,
  type Restartable,
} from '@premiere/testing';
import { catalogSeats, createLegacyCinema, createPaymentProvider } from '@premiere/simulators';
import { loadDemoCatalog, PREMIERE_SHOW_ID } from '../src/demo-catalog';

/**
 * "A lost database is an outage, not a crash": the real functions (as their containers run them:
 * dist/main.js) with a PostgreSQL and a redis-server of the test's own, killed with SIGKILL while
 * requests are in flight, transactions are open, the outbox relay holds a connection while it
 * waits on the broker and payments wait on the provider (third parties to PostgreSQL). Every
 * process must live on, answer 503 with Retry-After, fail readiness (not liveness), answer /events
 * with 5xx so the broker retries, and come back by itself when the service is back.
 */
const ADMIN_TOKEN = 'backing-loss-admin-token-0123456789';
const SHOW = PREMIERE_SHOW_ID;

let postgres: Restartable;
let redis: Restartable;
let legacy: Hapi.Server;
let provider: Hapi.Server;
let admitBatch: Running;
let reserveSeat: Running;
let issueToken: Running;
let renderCatalog: Running;
let processPayment: Running;
const running = () => [admitBatch, reserveSeat, issueToken, renderCatalog, processPayment];
let url = ''; // admit-batch's

/** A broker stand-in: takes events, or holds them unanswered while `holding` (a slow broker). */
const broker = { received: [] as string[], held: [] as (() => void)[], holding: false };
const brokerServer = http.createServer((req, res) => {
  req.resume();
  const answer = () => {
    broker.received.push(String(req.headers['ce-id']));
    res.writeHead(202).end();
  };
  if (broker.holding) broker.held.push(answer);
  else answer();
});
const release = () => {
  broker.holding = false;
  broker.held.splice(0).forEach((answer) => answer());
};

/** A function's environment on this test's broker stand-in, `env` on top. */
const testEnvOf = (env: Record<string, string>): NodeJS.ProcessEnv => ({
  PORT: '0',
  HOST: '127.0.0.1',
  K_SINK: `http://127.0.0.1:${(brokerServer.address() as { port: number }).port}/`,
  ADMIN_TOKEN,
  LOG_LEVEL: 'info',
  SHUTDOWN_DRAIN_MS: '0',
  ...eventAuthEnv(),
  ...env,
});

/** A function as its container runs it (dist/main.js), on this test's PostgreSQL and Redis. */
interface Running {
  child: ChildProcess;
  output: string;
  url: string;
  alive(): boolean;
}
async function startFunction(name: string, env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [path.resolve(__dirname, `../../functions/${name}/dist/main.js`)], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      K_SINK: `http://127.0.0.1:${(brokerServer.address() as { port: number }).port}/`,
      ADMIN_TOKEN,
      LOG_LEVEL: 'info',
      ...eventAuthEnv(),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Running = {
    child,
    output: '',
    url: '',
    alive: () => child.exitCode === null && child.signalCode === null,
  };
  child.stdout!.on('data', (c) => (run.output += c));
  child.stderr!.on('data', (c) => (run.output += c));
  run.url = `http://127.0.0.1:${await eventually(() => /"port":(\d+)/.exec(run.output)?.[1], 20_000)}`;
  await eventually(async () => (await fetch(`${run.url}/readyz`)).ok, 20_000, 100);
  return run;
}

const admin = (p: string, method = 'GET') =>
  fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
const deliver = (type: string, data: Record<string, unknown>) =>
  fetch(`${url}/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': randomUUID(),
      'ce-source': '/premiere/test',
      'ce-type': type,
      authorization: eventAuthorization('admit-batch'),
    },
    body: JSON.stringify(data),
  });
/** Every answer's status; a connection reset (the process died under it) as 0. */
const statusOf = (res: Promise<Response>) =>
  res.then(
    (r) => r.status,
    () => 0,
  );

async function expectUnavailable(res: Response, what: RegExp) {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await res.json()).message).toMatch(what);
}

/** Every function alive, or fail with what the dead one printed last. */
const expectAlive = () => {
  for (const fn of running())
    expect({ alive: fn.alive(), output: fn.alive() ? '' : fn.output.slice(-3_000) }).toEqual({
      alive: true,
      output: '',
    });
};

/** A payment reserve-seat asks process-payment for, as the broker delivers it. */
const payFor = () => {
  const orderId = randomUUID();
  const data = {
    paymentId: `${orderId}:1`,
    orderId,
    showId: 'harbor-lights-paulista-1',
    attempt: 1,
    amountCents: 10_000,
    currency: 'BRL',
    paymentToken: 'tok_visa',
    holdExpiresAt: new Date(Date.now() + 120_000).toISOString(),
  };
  return fetch(`${processPayment.url}/events`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': randomUUID(),
      'ce-source': '/premiere/reserve-seat',
      'ce-type': 'premiere.payment.requested',
      authorization: eventAuthorization('process-payment'),
    },
    body: JSON.stringify(data),
  });
};
/** A visitor joins the show's waiting room (issue-token), and polls once. */
let joiners = 0;
async function joinAndPoll(showId: string): Promise<number[]> {
  const session = `backing-joiner-${process.pid}-${++joiners}-abcdef`;
  const joined = await fetch(`${issueToken.url}/waiting-room/api/shows/${showId}/join`, {
    method: 'POST',
    headers: { 'x-session-id': session },
  });
  if (joined.status !== 201 && joined.status !== 200) return [joined.status];
  const { token } = await joined.json();
  const polled = await statusOf(
    fetch(`${issueToken.url}/waiting-room/api/shows/${showId}/status`, {
      headers: { authorization: `Bearer ${token}`, 'x-session-id': session },
    }),
  );
  return [joined.status, polled];
}
/** Every answer of the other three functions' load: joins and polls, catalog pages, payments. */
const othersLoad = (showId: string) => [
  ...Array.from({ length: 10 }, () => joinAndPoll(showId).catch(() => [0])),
  ...Array.from({ length: 10 }, (_, i) =>
    statusOf(
      fetch(`${renderCatalog.url}${i % 2 ? '/' : '/movies/last-starfall'}`, {
        headers: { accept: 'text/html', 'accept-language': `pt-BR;q=0.${i}` },
      }),
    ).then((s) => [s]),
  ),
  ...Array.from({ length: 10 }, () => statusOf(payFor()).then((s) => [s])),
];

/** An admitted visitor of reserve-seat, entered: what their seat map and hold requests carry. */
async function enteredVisitor(showId: string, vid: number) {
  const [keyId, key] = Object.entries(JSON.parse(TEST_SIGNING_KEYS) as Record<string, string>)[0];
  const session = `backing-session-${String(vid).padStart(10, '0')}`;
  const now = Math.floor(Date.now() / 1000);
  const access = new TokenSigner({ [keyId]: key }).sign({
    typ: 'access',
    show: showId,
    vid,
    place: vid,
    ses: sessionHash(session),
    iat: now,
    exp: now + 300,
  });
  const res = await fetch(`${reserveSeat.url}/checkout/${showId}?access=${access}`, {
    headers: { 'x-session-id': session },
  });
  expect(res.status).toBe(200);
  return {
    authorization: `Bearer ${(await res.json()).zoneToken}`,
    'x-session-id': session,
    'content-type': 'application/json',
  };
}

beforeAll(async () => {
  [postgres, redis] = await Promise.all([restartablePostgres(), restartableRedis()]);
  await migrate(postgres.url);
  await loadDemoCatalog(postgres.url);
  await new Promise<void>((r) => brokerServer.listen(0, '127.0.0.1', r));
  // The cinema's slow system, its seats read once per show from the catalog.
  const catalog = new pg.Pool({ connectionString: postgres.url, max: 2 });
  catalog.on('error', () => undefined);
  legacy = createLegacyCinema({
    port: 0,
    seatsOf: catalogSeats(catalog),
    latencyMs: [200, 600],
    concurrencyLimit: 10,
    holdSeconds: 120,
    overload: '503',
    stallMs: 0,
  });
  legacy.events.on('stop', () => void catalog.end());
  await legacy.start();
  // The payment provider, as slow as a real one: payments wait on it with their work under way.
  provider = createPaymentProvider({ port: 0, latencyMs: [300, 800], hangMs: 0 });
  await provider.start();
  [admitBatch, reserveSeat, issueToken, renderCatalog, processPayment] = await Promise.all([
    startFunction('admit-batch', { OUTBOX_RELAY_INTERVAL_MS: '200' }),
    startFunction('reserve-seat', {
      LEGACY_URL: `http://127.0.0.1:${legacy.info.port}`,
      TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
      ADDRESS_HELD_SEATS_SHARE: '0',
    }),
    startFunction('issue-token', { TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS, ...NO_JOIN_LIMITS }),
    startFunction('render-catalog', {}),
    startFunction('process-payment', { PAYMENT_PROVIDER_URL: `http://127.0.0.1:${provider.info.port}` }),
  ]);
  url = admitBatch.url;
}, 120_000);

afterAll(async () => {
  release();
  for (const fn of running()) {
    if (fn?.alive()) {
      const exited = new Promise((r) => fn.child.once('exit', r));
      fn.child.kill('SIGKILL');
      await exited;
    }
  }
  brokerServer.closeAllConnections();
  await new Promise((r) => brokerServer.close(r));
  await legacy?.stop();
  await provider?.stop();
  await Promise.all([postgres?.stop(), redis?.stop()]);
}, 60_000);

describe('a function when its backing services die', () => {
  it('PostgreSQL killed under load, mid-transaction and while the outbox relay waits on the broker: the process lives, answers 503, and recovers by itself', async () => {
    expect((await admin(`/admin/api/shows/${SHOW}`)).status).toBe(200);
    // Events waiting in the outbox, and a broker that does not answer yet: the relay sends them
    // inside its transaction, a connection checked out meanwhile.
    const db = new pg.Client({ connectionString: postgres.url });
    await db.connect();
    const pending = [randomUUID(), randomUUID()];
    for (const id of pending) {
      await db.query(
        `INSERT INTO admit_batch.outbox (event_id, type, subject, data, next_attempt_at) VALUES ($1, 'premiere.show.availability.changed', $2, $3, now())`,
        [id, SHOW, JSON.stringify({ showId: SHOW, availability: 'available' })],
      );
    }
    await db.end();
    broker.holding = true;
    await eventually(() => broker.held.length > 0, 10_000);

    // reserve-seat's visitors, inside, about to choose seats.
    const showId = await addTestShow(postgres.url, { seats: 100 });
    const visitors = await Promise.all(Array.from({ length: 20 }, (_, i) => enteredVisitor(showId, i + 1)));

    // A crowd of work in flight: admit-batch's transactions that also wait on Redis; reserve-seat's
    // holds (a transaction, then the legacy system, then another) and seat maps.
    const others = othersLoad(showId);
    const load = [
      ...Array.from({ length: 20 }, () => statusOf(admin(`/admin/api/shows/${SHOW}/resume`, 'POST'))),
      ...Array.from({ length: 20 }, () => statusOf(deliver('premiere.visitors.waiting', { showId: SHOW }))),
      ...visitors.map((headers, i) =>
        statusOf(
          i % 2
            ? fetch(`${reserveSeat.url}/checkout/api/shows/${showId}/seats`, { headers })
            : fetch(`${reserveSeat.url}/checkout/api/shows/${showId}/orders`, {
                method: 'POST',
                headers,
                body: JSON.stringify({ seats: [{ seat: `A${i + 1}`, ticketType: 'full' }] }),
              }),
        ),
      ),
    ];
    await new Promise((r) => setTimeout(r, 100)); // under way: some holds are with the legacy system
    await postgres.kill();

    const answered = [...(await Promise.all(load)), ...(await Promise.all(others)).flat()];
    expectAlive();
    expect(answered.filter((s) => s === 0)).toEqual([]); // every request got an answer
    const unexpected = answered.filter((s) => ![200, 201, 204, 503].includes(s));
    const failures = running().flatMap((fn) => fn.output.split('\n').filter((l) => l.includes('"level":"error"')));
    expect({ unexpected, failures }).toEqual({ unexpected: [], failures: [] }); // an answer, or 503: never a 500
    // A browser is told so in a page that tries again by itself.
    const ticketPage = await fetch(`${reserveSeat.url}/checkout/tickets/ABCDEFGHJK`, {
      headers: { accept: 'text/html', 'accept-language': 'en' },
    });
    expect(ticketPage.status).toBe(503);
    expect(ticketPage.headers.get('retry-after')).toBeTruthy();
    expect(await ticketPage.text()).toMatch(/Back in a moment[\s\S]*tries again by itself/);
    await expectUnavailable(
      await fetch(`${reserveSeat.url}/checkout/api/shows/${showId}/orders`, {
        method: 'POST',
        headers: visitors[0],
        body: JSON.stringify({ seats: [{ seat: 'B1', ticketType: 'full' }] }),
      }),
      /database/,
    );

    // An outage, plainly said.
    await eventually(async () => (await fetch(`${url}/readyz`)).status === 503, 10_000);
    const ready = await (await fetch(`${url}/readyz`)).json();
    expect(ready.checks.postgres).toMatch(/postgres unreachable/);
    expect(ready.checks.redis).toBe('ok');
    expect((await fetch(`${url}/healthz`)).status).toBe(200); // liveness holds: no restart would help
    await expectUnavailable(await admin('/admin/api/shows/no-such-show'), /database/);
    const event = await deliver('premiere.visitors.waiting', { showId: SHOW });
    expect(event.status).toBeGreaterThanOrEqual(500); // the broker retries
    expect(event.headers.get('retry-after')).toBeTruthy();
    release(); // the broker answers the relay now: its transaction is long gone
    expectAlive();

    // Back: the pool reconnects, the relay publishes what waited.
    await postgres.restart();
    await eventually(async () => (await fetch(`${url}/readyz`)).ok, 30_000, 200);
    expect((await admin(`/admin/api/shows/${SHOW}/resume`, 'POST')).status).toBe(200);
    expect((await deliver('premiere.visitors.waiting', { showId: SHOW })).status).toBe(204);
    await eventually(async () => (await fetch(`${reserveSeat.url}/readyz`)).ok, 30_000, 200);
    // Ready again; a connection the pool still held from before may fail one more request (503) before it is dropped.
    await eventually(
      async () =>
        (await fetch(`${reserveSeat.url}/checkout/api/shows/${showId}/seats`, { headers: visitors[1] })).status === 200,
      10_000,
      200,
    );
    await eventually(() => pending.every((id) => broker.received.includes(id)), 20_000);
    // The other three by themselves too: ready, and doing their work again.
    for (const fn of [issueToken, renderCatalog, processPayment])
      await eventually(async () => (await fetch(`${fn.url}/readyz`)).ok, 30_000, 200);
    await eventually(async () => (await joinAndPoll(showId)).every((s) => s === 200 || s === 201), 10_000, 200);
    await eventually(
      async () =>
        (await fetch(`${renderCatalog.url}/movies/last-starfall`, { headers: { accept: 'text/html' } })).status === 200,
      10_000,
      200,
    );
    await eventually(async () => (await payFor()).status === 204, 10_000, 200);
    expectAlive();
    for (const fn of running())
      expect(fn.output).not.toMatch(/Unhandled 'error' event|unhandledRejection|uncaughtException/);
  }, 120_000);

  it('Redis killed under load: the process lives, answers 503, fails readiness, and recovers by itself', async () => {
    const showId = await addTestShow(postgres.url, { seats: 100 });
    const others = othersLoad(showId);
    const load = Array.from({ length: 20 }, () => statusOf(admin(`/admin/api/shows/${SHOW}/resume`, 'POST')));
    await redis.kill();
    const answered = [...(await Promise.all(load)), ...(await Promise.all(others)).flat()];
    expectAlive();
    expect(answered.filter((s) => s === 0)).toEqual([]);
    expect(answered.filter((s) => ![200, 201, 204, 503].includes(s))).toEqual([]);
    expectAlive();

    await eventually(async () => (await fetch(`${url}/readyz`)).status === 503, 10_000);
    expect((await (await fetch(`${url}/readyz`)).json()).checks.redis).toMatch(/redis unreachable/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await expectUnavailable(await admin('/admin/api/shows'), /Redis/);
    expect((await deliver('premiere.visitors.waiting', { showId: SHOW })).status).toBeGreaterThanOrEqual(500);
    expectAlive();

    await eventually(async () => (await fetch(`${issueToken.url}/readyz`)).status === 503, 10_000);
    expectAlive();

    await redis.restart(); // empty: it kept nothing (the waiting room's recovery is not this test's)
    await eventually(async () => (await fetch(`${url}/readyz`)).ok, 30_000, 200);
    expect((await admin('/admin/api/shows')).status).toBe(200);
    for (const fn of running()) await eventually(async () => (await fetch(`${fn.url}/readyz`)).ok, 30_000, 200);
    await eventually(async () => (await joinAndPoll(showId)).every((s) => s === 200 || s === 201), 10_000, 200);
    expectAlive();
    for (const fn of running())
      expect(fn.output).not.toMatch(/Unhandled 'error' event|unhandledRejection|uncaughtException/);
  }, 120_000);
});

describe('a transaction waiting on a third party when PostgreSQL dies', () => {
  afterEach(() => nock.cleanAll());

  it('answers 503 with Retry-After: the client it held is dropped, not the process', async () => {
    // A function whose one route holds a transaction open across a slow third-party call, the
    // shape reserve-seat and process-payment avoid and the outbox relay has (runtime, in this process).
    let called = false;
    nock('https://provider.example')
      .post('/v1/charges', () => (called = true)) // matched when the call is made
      .delay(1_500)
      .reply(200, { ok: true });
    const logs = captureLogs();
    const fn = createFunction(
      {
        name: 'render-catalog',
        routes: (ctx) => [
          {
            method: 'POST',
            path: '/charge',
            handler: () =>
              ctx.transaction(async (tx) => {
                await tx.query('SELECT 1');
                await callHttp('https://provider.example/v1/charges', { method: 'POST', timeoutMs: 5_000 });
                await tx.query('SELECT 2');
                return { charged: true };
              }),
          },
        ],
      },
      testEnvOf({ DATABASE_URL: postgres.url, REDIS_URL: redis.url }),
      logs.stream,
    );
    await fn.start();
    try {
      const charging = fetch(`http://127.0.0.1:${fn.server.info.port}/charge`, { method: 'POST' });
      await eventually(() => called, 5_000, 10); // the transaction's client is lent, waiting on the provider
      await postgres.kill();
      const res = await charging;
      if (res.status !== 503)
        throw new Error(
          `answered ${res.status}: ${logs.raw.filter((l) => l.includes('"error"') || l.includes('warn')).join('\n')}`,
        );
      await expectUnavailable(res, /database/);
      await postgres.restart();
      nock('https://provider.example').post('/v1/charges').reply(200, { ok: true });
      await eventually(
        async () => (await fetch(`http://127.0.0.1:${fn.server.info.port}/charge`, { method: 'POST' })).status === 200,
        30_000,
        200,
      );
    } finally {
      await fn.stop();
    }
  }, 60_000);
});

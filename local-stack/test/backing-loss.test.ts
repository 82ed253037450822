import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { migrate } from '@premiere/runtime';
import { eventAuthEnv, eventAuthorization, eventually } from '@premiere/runtime/testing';
import { loadDemoCatalog, PREMIERE_SHOW_ID } from '../src/demo-catalog';
import { restartablePostgres, restartableRedis, type Restartable } from './restartable';

/**
 * "A lost database is an outage, not a crash": a real function (admit-batch, as its container runs
 * it: dist/main.js) with a PostgreSQL and a redis-server of the test's own, killed with SIGKILL
 * while requests are in flight, transactions are open and the outbox relay holds a connection
 * while it waits on the broker (a third party to PostgreSQL). The process must live on, answer
 * 503 with Retry-After, fail readiness (not liveness), answer /events with 5xx so the broker
 * retries, and come back by itself when the service is back.
 */
const ADMIN_TOKEN = 'backing-loss-admin-token-0123456789';
const SHOW = PREMIERE_SHOW_ID;

let postgres: Restartable;
let redis: Restartable;
let fn: ChildProcess;
let output = '';
let url = '';

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

const admin = (p: string, method = 'GET') => fetch(`${url}${p}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
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
const statusOf = (res: Promise<Response>) => res.then((r) => r.status, () => 0);

async function expectUnavailable(res: Response, what: RegExp) {
  expect(res.status).toBe(503);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect((await res.json()).message).toMatch(what);
}

const alive = () => fn.exitCode === null && fn.signalCode === null;
/** Alive, or fail with what it printed last. */
const expectAlive = () => expect({ alive: alive(), output: alive() ? '' : output.slice(-3_000) }).toEqual({ alive: true, output: '' });

beforeAll(async () => {
  [postgres, redis] = await Promise.all([restartablePostgres(), restartableRedis()]);
  await migrate(postgres.url);
  await loadDemoCatalog(postgres.url);
  await new Promise<void>((r) => brokerServer.listen(0, '127.0.0.1', r));
  fn = spawn(process.execPath, [path.resolve(__dirname, '../../functions/admit-batch/dist/main.js')], {
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      K_SINK: `http://127.0.0.1:${(brokerServer.address() as { port: number }).port}/`,
      ADMIN_TOKEN,
      LOG_LEVEL: 'info',
      OUTBOX_RELAY_INTERVAL_MS: '200',
      ...eventAuthEnv(),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  fn.stdout!.on('data', (c) => (output += c));
  fn.stderr!.on('data', (c) => (output += c));
  const port = await eventually(() => /"port":(\d+)/.exec(output)?.[1], 20_000);
  url = `http://127.0.0.1:${port}`;
  await eventually(async () => (await fetch(`${url}/readyz`)).ok, 20_000, 100);
}, 120_000);

afterAll(async () => {
  release();
  if (fn && alive()) {
    const exited = new Promise((r) => fn.once('exit', r));
    fn.kill('SIGKILL');
    await exited;
  }
  brokerServer.closeAllConnections();
  await new Promise((r) => brokerServer.close(r));
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

    // A crowd of work in flight, each in a transaction that also waits on Redis.
    const load = [
      ...Array.from({ length: 20 }, () => statusOf(admin(`/admin/api/shows/${SHOW}/resume`, 'POST'))),
      ...Array.from({ length: 20 }, () => statusOf(deliver('premiere.visitors.waiting', { showId: SHOW }))),
    ];
    await postgres.kill();

    const answered = await Promise.all(load);
    expectAlive();
    expect(answered.filter((s) => s === 0)).toEqual([]); // every request got an answer
    for (const s of answered) expect([200, 204, 503]).toContain(s);
    expectAlive();

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
    await eventually(() => pending.every((id) => broker.received.includes(id)), 20_000);
    expectAlive();
    expect(output).not.toMatch(/Unhandled 'error' event|unhandledRejection|uncaughtException/);
  }, 120_000);

  it('Redis killed under load: the process lives, answers 503, fails readiness, and recovers by itself', async () => {
    const load = Array.from({ length: 20 }, () => statusOf(admin(`/admin/api/shows/${SHOW}/resume`, 'POST')));
    await redis.kill();
    const answered = await Promise.all(load);
    expectAlive();
    expect(answered.filter((s) => s === 0)).toEqual([]);
    expectAlive();

    await eventually(async () => (await fetch(`${url}/readyz`)).status === 503, 10_000);
    expect((await (await fetch(`${url}/readyz`)).json()).checks.redis).toMatch(/redis unreachable/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    await expectUnavailable(await admin('/admin/api/shows'), /Redis/);
    expect((await deliver('premiere.visitors.waiting', { showId: SHOW })).status).toBeGreaterThanOrEqual(500);
    expectAlive();

    await redis.restart(); // empty: it kept nothing (the waiting room's recovery is not this test's)
    await eventually(async () => (await fetch(`${url}/readyz`)).ok, 30_000, 200);
    expect((await admin('/admin/api/shows')).status).toBe(200);
    expectAlive();
  }, 120_000);
});

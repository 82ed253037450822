import { createServer, type Server } from 'node:http';
import pg from 'pg';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  producer,
  testEnv,
  type TestDatabase,
} from '@premiere/testing';

/**
 * A function's first revision on a cluster: Helm creates the Knative Services before the Broker
 * has an address, so the SinkBinding has no K_SINK to inject yet. The function starts anyway and
 * is Ready; what it emits waits in its outbox (PostgreSQL); the binding then injects K_SINK, which
 * makes a new revision, and that revision's relay publishes what the first one kept. Nothing lost.
 */
let db: TestDatabase;
let sql: pg.Pool;
const redis = createTestRedisPrefix();
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sql = new pg.Pool({ connectionString: db.url });
  sql.on('error', () => undefined); // dropping the database ends idle connections
});
afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await sql.end();
  await db.drop();
  await redis.clean();
});

/** The environment of a revision the SinkBinding has not reached: no K_SINK at all. */
function withoutSink(overrides: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = testEnv(db, redis.prefix, overrides);
  delete env.K_SINK;
  return env;
}

async function started(fn: RunningFunction) {
  await fn.start();
  stops.push(() => fn.stop());
  return `http://127.0.0.1:${fn.server.info.port}`;
}

/** A broker that takes every event (2xx) and keeps what it was sent. */
async function recordingBroker(): Promise<{ url: string; ids: string[]; server: Server }> {
  const ids: string[] = [];
  const server = createServer((req, res) => {
    ids.push(String(req.headers['ce-id']));
    req.resume().on('end', () => res.writeHead(202).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, ids, server };
}

const outbox = async () =>
  (
    await sql.query<{ event_id: string; published_at: Date | null; attempts: number }>(
      'SELECT event_id, published_at, attempts FROM issue_token.outbox ORDER BY id',
    )
  ).rows;

describe('a function whose SinkBinding has not given it K_SINK yet', () => {
  it('starts, is ready, keeps its events in the outbox; the revision with K_SINK publishes them all', async () => {
    const logs = captureLogs();
    const first = createFunction(producer(), withoutSink({ OUTBOX_RELAY_INTERVAL_MS: '100' }), logs.stream);
    const firstUrl = await started(first);
    expect((await fetch(`${firstUrl}/readyz`)).status).toBe(200);
    expect(logs.lines.some((l) => l.level === 'warn' && /no K_SINK/.test(String(l.msg)))).toBe(true);

    // It works, and what it emits waits: not failed, not backed off, just kept.
    const res = await fetch(`${firstUrl}/shows/show-1/announce`, {
      method: 'POST',
      body: JSON.stringify({ count: 5 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    await sql.query('UPDATE issue_token.outbox SET next_attempt_at = now()'); // past the writer's grace: the relay's turn
    await first.outbox.relay(); // a relay pass (the timer's, or the outbox-relay schedule's) sends nothing
    await new Promise((r) => setTimeout(r, 300)); // and so do the timer's
    expect((await outbox()).map((r) => [r.published_at, r.attempts])).toEqual(Array(5).fill([null, 0]));
    // Kept, and seen: a warning that says what to look at, and the gauge the alert reads.
    expect(
      logs.lines.some((l) => l.level === 'warn' && l.waiting === 5 && /no K_SINK to send them to/.test(String(l.msg))),
    ).toBe(true);
    const metrics = await (await fetch(`${firstUrl}/metrics`)).text();
    expect(Number(/^premiere_outbox_oldest_unpublished_seconds (\S+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    // A nudge has nowhere to go: dropped (a schedule makes up for it, as for a lost one), not thrown.
    expect(() =>
      first.ctx.nudge({ type: 'premiere.visitors.admitted', subject: 'show-1', data: { n: 99 } }),
    ).not.toThrow();

    // The binding's K_SINK arrives with the next revision; its relay publishes the first one's events.
    const broker = await recordingBroker();
    const second = createFunction(
      producer(),
      testEnv(db, redis.prefix, { K_SINK: broker.url, OUTBOX_RELAY_INTERVAL_MS: '100' }),
      captureLogs().stream,
    );
    await started(second);
    await eventually(async () => (await outbox()).every((r) => r.published_at !== null), 10_000);
    const emitted = (await outbox()).map((r) => r.event_id);
    expect(emitted).toHaveLength(5);
    expect([...new Set(broker.ids)].sort()).toEqual([...emitted].sort());
  });
});

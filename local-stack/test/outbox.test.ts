import pg from 'pg';
import { createFunction, createLogger, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  testEnv,
  testEventIssuer,
  type TestDatabase,
  consumer,
  producer,
} from '@premiere/testing';
import { freePort } from '../src/backing';
import { LocalBroker } from '../src/broker';

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

async function started(fn: RunningFunction) {
  await fn.start();
  stops.push(() => fn.stop());
  return `http://127.0.0.1:${fn.server.info.port}`;
}

const unpublished = async () =>
  Number((await sql.query('SELECT count(*) FROM issue_token.outbox WHERE published_at IS NULL')).rows[0].count);

describe('the transactional outbox', () => {
  it('loses no event while the broker is down, and the consumer handles each once', async () => {
    const brokerPort = await freePort();
    const sink = `http://127.0.0.1:${brokerPort}/`;
    const seen: string[] = [];
    // Delivered by a LocalBroker signing with the tests' key, as its Triggers' service accounts (namespace local).
    const consumerUrl = await started(
      createFunction(
        consumer(seen),
        testEnv(db, redis.prefix, { EVENT_AUTH_SUBJECT_PREFIX: 'system:serviceaccount:local:' }),
        captureLogs().stream,
      ),
    );
    // Two producer replicas share the outbox; their relays run every 200 ms.
    const env = testEnv(db, redis.prefix, { K_SINK: sink, OUTBOX_RELAY_INTERVAL_MS: '200' });
    const [a, b] = [
      createFunction(producer(), env, captureLogs().stream),
      createFunction(producer(), env, captureLogs().stream),
    ];
    const producerUrl = await started(a);
    await started(b);

    // The broker is down: the state change commits, the events wait in the outbox.
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${producerUrl}/shows/show-${i}/announce`, {
        method: 'POST',
        body: JSON.stringify({ count: 5 }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(200);
    }
    await eventually(
      async () => (await sql.query('SELECT count(*) FROM issue_token.outbox WHERE attempts > 0')).rows[0].count > 0,
    );
    expect(await unpublished()).toBe(20);
    expect(seen).toEqual([]);

    // The broker comes back; failed rows were backed off, so make them due now rather than wait.
    const broker = new LocalBroker({
      subscriptions: [
        {
          name: 'admitted',
          url: `${consumerUrl}/events`,
          filter: { type: 'premiere.visitors.admitted' },
          audience: 'premiere/admit-batch',
        },
      ],
      schedules: [],
      delivery: { retry: 3, backoffPolicy: 'exponential', backoffDelay: 'PT0.05S' },
      log: a.ctx.log,
      issuer: testEventIssuer,
    });
    await broker.listen(brokerPort);
    stops.push(() => broker.close());
    await sql.query('UPDATE issue_token.outbox SET next_attempt_at = now()');

    await eventually(async () => (await unpublished()) === 0, 15_000);
    await broker.idle();
    expect(seen).toHaveLength(20);
    expect(new Set(seen).size).toBe(20);

    // Redelivering everything again (a relay that died before marking rows) changes nothing.
    await sql.query('UPDATE issue_token.outbox SET published_at = NULL');
    await a.outbox.relay();
    await broker.idle();
    expect(seen).toHaveLength(20);
    expect(broker.stats.delivered).toBe(40);
    // Their relays would otherwise take the next test's rows to this broker.
    await a.stop();
    await b.stop();
  });

  it('publishes right after commit when the broker is up, with source, subject, type and the SinkBinding’s overrides', async () => {
    const received: { type: string; source: string; subject?: string; data: unknown; team?: unknown }[] = [];
    const brokerPort = await freePort();
    const broker = new LocalBroker({
      subscriptions: [],
      schedules: [],
      delivery: { retry: 0, backoffPolicy: 'linear', backoffDelay: 'PT0.1S' },
      log: createLogger({ name: 'broker' }, captureLogs().stream),
    });
    const original = broker.publish.bind(broker);
    broker.publish = (e) => {
      received.push({
        type: e.type,
        source: e.source,
        subject: e.subject,
        data: e.data,
        team: (e as unknown as Record<string, unknown>).team,
      });
      original(e);
    };
    await broker.listen(brokerPort);
    stops.push(() => broker.close());
    const fn = createFunction(
      producer(),
      testEnv(db, redis.prefix, {
        K_SINK: `http://127.0.0.1:${brokerPort}/`,
        OUTBOX_RELAY_INTERVAL_MS: '600000',
        K_CE_OVERRIDES: '{"extensions":{"team":"premiere"}}',
      }),
      captureLogs().stream,
    );
    const url = await started(fn);
    await fetch(`${url}/shows/premiere-1/announce`, {
      method: 'POST',
      body: JSON.stringify({ count: 2 }),
      headers: { 'content-type': 'application/json' },
    });
    await eventually(() => received.length === 2, 5_000);
    // Either order: events.md promises none.
    const sorted = [...received].sort((x, y) => (x.data as { n: number }).n - (y.data as { n: number }).n);
    expect(sorted[0]).toEqual({
      type: 'premiere.visitors.admitted',
      source: '/premiere/issue-token',
      subject: 'premiere-1',
      data: { n: 0 },
      team: 'premiere',
    });
    expect(sorted[1]).toMatchObject({ data: { n: 1 }, team: 'premiere' });
  });

  it('refuses an event type that does not follow premiere.<entity>.<verb>', async () => {
    const fn = createFunction(producer(), testEnv(db, redis.prefix), captureLogs().stream);
    stops.push(() => fn.stop());
    await expect(fn.ctx.transaction((tx) => tx.emit({ type: 'SeatHeld', data: {} }))).rejects.toThrow(
      'event type "SeatHeld" is not premiere.<entity>.<verb>',
    );
  });
});

import { CloudEvent, HTTP } from 'cloudevents';
import Joi from 'joi';
import pg from 'pg';
import { createFunction, createLogger, type FunctionDefinition, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  eventually,
  testEnv,
  testEventIssuer,
  type TestDatabase,
  TEST_ADMIN_TOKEN,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import { freePort } from '@premiere/local-stack/backing';
import { LocalBroker, type DeadLetterSink } from '@premiere/local-stack/broker';
import { admitBatch } from '../src';

/**
 * Dead letters are durable and replayable: what the broker could not deliver after its retries is
 * stored by admit-batch (POST /dead-letters, the Triggers' dead-letter sink) once, with why; an
 * operator replays it (one, or every one of a type) and its consumer handles it once.
 */

let db: TestDatabase;
let sql: pg.Pool;
const redis = createTestRedisPrefix();
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  sql = new pg.Pool({ connectionString: db.url });
});
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
  await sql.query('TRUNCATE admit_batch.dead_letters, admit_batch.outbox, reserve_seat.inbox');
});
afterAll(async () => {
  await sql.end();
  await db.drop();
  await redis.clean();
});

/** The local broker's deliveries are signed by the test issuer, as a cluster's Triggers' service accounts. */
const LOCAL_SENDERS = 'system:serviceaccount:local:';
const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
/** What a Trigger's dispatcher presents to admit-batch's dead-letter sink. */
const fromBroker = () =>
  `Bearer ${testEventIssuer.token('premiere/admit-batch', `${LOCAL_SENDERS}seats-admitted-oidc-eventing.knative.dev-trigger`)}`;

async function start(
  def: FunctionDefinition,
  extra: Record<string, string> = {},
): Promise<{ fn: RunningFunction; url: string }> {
  const fn = createFunction(
    def,
    testEnv(db, redis.prefix, {
      TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      EVENT_AUTH_SUBJECT_PREFIX: LOCAL_SENDERS,
      ...extra,
    }),
    captureLogs().stream,
  );
  await fn.start();
  closers.push(() => fn.stop());
  return { fn, url: `http://127.0.0.1:${fn.server.info.port}` };
}

/** A consumer of premiere.visitors.admitted (in reserve-seat's schema) that fails while `down`, and counts what it handles. */
function consumer(state: { down: boolean; handled: string[]; sources: string[] }): FunctionDefinition {
  return {
    name: 'reserve-seat',
    events: {
      'premiere.visitors.admitted': {
        data: Joi.object({ showId: Joi.string().required() }).unknown(),
        async handle({ event }) {
          if (state.down) throw new Error('the room is gone');
          state.handled.push(event.id);
          state.sources.push(event.source);
        },
      },
    },
  };
}

/** The stack as `npm start` wires it: the broker delivers to the consumer, dead letters go to admit-batch. */
async function stack(opts: { brokerPort?: number; env?: Record<string, string> } = {}) {
  const state = { down: true, handled: [] as string[], sources: [] as string[] };
  const consuming = await start(consumer(state));
  const sink: DeadLetterSink = { url: '', audience: 'premiere/admit-batch' };
  const logs = captureLogs();
  const newBroker = async () => {
    const broker = new LocalBroker({
      subscriptions: [
        {
          name: 'seats-admitted',
          url: `${consuming.url}/events`,
          filter: { type: 'premiere.visitors.admitted' },
          audience: 'premiere/reserve-seat',
        },
      ],
      schedules: [],
      delivery: { retry: 2, backoffPolicy: 'exponential', backoffDelay: 'PT0.05S' },
      log: createLogger({ name: 'broker' }, logs.stream),
      issuer: testEventIssuer,
      deadLetterSink: sink,
    });
    const brokerUrl = await broker.listen(opts.brokerPort ?? 0);
    closers.push(() => broker.close());
    return { broker, brokerUrl };
  };
  const { broker, brokerUrl } = await newBroker();
  const bouncer = await start(admitBatch, { K_SINK: brokerUrl, ...opts.env });
  sink.url = `${bouncer.url}/dead-letters`;
  return { state, broker, brokerUrl, newBroker, bouncer, consumerUrl: `${consuming.url}/events`, logs };
}

let n = 0;
const admitted = (id = `dl-${process.pid}-${++n}`) =>
  new CloudEvent({
    id,
    type: 'premiere.visitors.admitted',
    source: '/premiere/admit-batch',
    subject: 'show-1',
    time: '2026-12-02T12:00:00.000Z',
    datacontenttype: 'application/json',
    data: { showId: 'show-1', count: 2 },
    partitionkey: 'show-1',
  });
const publish = (brokerUrl: string, event: CloudEvent<unknown>) => {
  const m = HTTP.binary(event);
  return fetch(brokerUrl, { method: 'POST', headers: m.headers as Record<string, string>, body: m.body as string });
};
/** An operator's "replay every open letter of this type": the answer's status and body. */
async function replayType(url: string, type: string) {
  const res = await fetch(`${url}/admin/api/dead-letters/replay`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'application/json' },
    body: JSON.stringify({ type }),
  });
  return { status: res.status, body: await res.json() };
}
const letters = async () => (await sql.query('SELECT * FROM admit_batch.dead_letters ORDER BY id')).rows;
const metric = async (url: string, type: string) => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(
    new RegExp(`^premiere_dead_letters_open\\{type="${type.replace(/\./g, '\\.')}"\\} (\\d+)$`, 'm').exec(text)?.[1] ??
      NaN,
  );
};

describe('dead letters', () => {
  it('stores an event the broker could not deliver after its retries, in full, with its delivery error', async () => {
    const { broker, brokerUrl, bouncer, consumerUrl } = await stack();
    const event = admitted();
    expect((await publish(brokerUrl, event)).status).toBe(202);
    await broker.idle();

    const [row] = await letters();
    expect(row).toMatchObject({
      event_id: event.id,
      source: '/premiere/admit-batch',
      type: 'premiere.visitors.admitted',
      subject: 'show-1',
      time: '2026-12-02T12:00:00.000Z',
      datacontenttype: 'application/json',
      data: { showId: 'show-1', count: 2 },
      extensions: { partitionkey: 'show-1' },
      destination: consumerUrl,
      error_code: 500,
      error_data: '{"error":"handler failed"}',
      failures: 1,
      open: true,
      replays: 0,
    });
    expect(broker.deadLetters[0].sink).toBe('stored');
    expect(await metric(bouncer.url, 'premiere.visitors.admitted')).toBe(1);

    const list = await (
      await fetch(`${bouncer.url}/admin/api/dead-letters?type=premiere.visitors.admitted`, { headers: admin })
    ).json();
    expect(list.open).toEqual({ 'premiere.visitors.admitted': 1 });
    expect(list.deadLetters).toEqual([
      expect.objectContaining({ id: Number(row.id), eventId: event.id, errorCode: 500, open: true }),
    ]);
    const one = await (await fetch(`${bouncer.url}/admin/api/dead-letters/${row.id}`, { headers: admin })).json();
    expect(one.event).toEqual({
      specversion: '1.0',
      id: event.id,
      source: '/premiere/admit-batch',
      type: 'premiere.visitors.admitted',
      subject: 'show-1',
      time: '2026-12-02T12:00:00.000Z',
      datacontenttype: 'application/json',
      partitionkey: 'show-1',
      data: { showId: 'show-1', count: 2 },
    });
  });

  it('replays one, and every one of a type, unchanged through the broker: the consumer handles each once', async () => {
    const { state, broker, brokerUrl, bouncer } = await stack();
    const [first, second, third] = [admitted(), admitted(), admitted()];
    for (const e of [first, second, third]) await publish(brokerUrl, e);
    await broker.idle();
    expect(await letters()).toHaveLength(3);

    // The consumer is back. The first letter is replayed; its consumer had never handled it.
    state.down = false;
    const row = (await letters()).find((l) => l.event_id === first.id);
    const replayed = await fetch(`${bouncer.url}/admin/api/dead-letters/${row.id}/replay`, {
      method: 'POST',
      headers: admin,
    });
    expect(replayed.status).toBe(200);
    expect((await replayed.json()).deadLetter).toMatchObject({ open: false, replays: 1 });
    await eventually(() => state.handled.length === 1);
    expect(state.handled).toEqual([first.id]);

    // Replaying it again (by mistake) changes nothing: the consumer's inbox knows it.
    await fetch(`${bouncer.url}/admin/api/dead-letters/${row.id}/replay`, { method: 'POST', headers: admin });
    await eventually(
      async () => (await sql.query('SELECT 1 FROM admit_batch.outbox WHERE published_at IS NULL')).rowCount === 0,
    );
    await broker.idle();

    // The rest of the type, at once; already replayed letters stay out of the default list.
    expect((await replayType(bouncer.url, 'premiere.visitors.admitted')).body).toMatchObject({ replayed: 2, left: 0 });
    await eventually(() => state.handled.length === 3);
    await broker.idle();
    expect(state.handled.sort()).toEqual([first.id, second.id, third.id].sort());
    const list = await (await fetch(`${bouncer.url}/admin/api/dead-letters`, { headers: admin })).json();
    expect(list).toMatchObject({ deadLetters: [], open: {} });
    const history = await (
      await fetch(`${bouncer.url}/admin/api/dead-letters?state=replayed`, { headers: admin })
    ).json();
    expect(history.deadLetters.map((l: { eventId: string; replays: number }) => [l.eventId, l.replays]).sort()).toEqual(
      [
        [first.id, 2],
        [second.id, 1],
        [third.id, 1],
      ].sort(),
    );
    expect(await metric(bouncer.url, 'premiere.visitors.admitted')).toBe(0);
  });

  it('replays while the broker is down: the outbox sends the event, unchanged, once the broker is back', async () => {
    const { state, broker, brokerUrl, newBroker, bouncer } = await stack({
      brokerPort: await freePort(),
      env: { OUTBOX_RELAY_INTERVAL_MS: '200' },
    });
    const event = admitted();
    await publish(brokerUrl, event);
    await broker.idle();
    const [row] = await letters();
    await broker.close();

    state.down = false;
    expect(
      (await fetch(`${bouncer.url}/admin/api/dead-letters/${row.id}/replay`, { method: 'POST', headers: admin }))
        .status,
    ).toBe(200);
    await eventually(
      async () =>
        (await sql.query('SELECT 1 FROM admit_batch.outbox WHERE attempts > 0 AND published_at IS NULL')).rowCount ===
        1,
    );
    const back = await newBroker();
    await sql.query('UPDATE admit_batch.outbox SET next_attempt_at = now()'); // rather than wait out the back-off
    await eventually(() => state.handled.length === 1);
    await back.broker.idle();
    expect([state.handled, state.sources]).toEqual([[event.id], ['/premiere/admit-batch']]);
  });

  it('opens a letter again when its replay fails too', async () => {
    const { broker, brokerUrl, bouncer } = await stack();
    await publish(brokerUrl, admitted());
    await broker.idle();
    const [row] = await letters();
    await fetch(`${bouncer.url}/admin/api/dead-letters/${row.id}/replay`, { method: 'POST', headers: admin });
    await eventually(async () => (await letters())[0].failures === 2);
    await broker.idle();
    expect(await letters()).toEqual([expect.objectContaining({ id: row.id, open: true, failures: 2, replays: 1 })]);
  });

  it('stores the same dead letter once, in binary or structured mode', async () => {
    const { bouncer } = await stack();
    const dead = new CloudEvent(
      {
        ...admitted('twice'),
        knativeerrordest: 'http://premiere-reserve-seat.premiere.svc.cluster.local/events',
        knativeerrorcode: '503',
        knativeerrordata: Buffer.from('busy').toString('base64'),
      } as never,
      false,
    );
    for (const m of [HTTP.binary(dead), HTTP.structured(dead), HTTP.binary(dead)]) {
      const res = await fetch(`${bouncer.url}/dead-letters`, {
        method: 'POST',
        headers: { ...(m.headers as Record<string, string>), authorization: fromBroker() },
        body: m.body as string,
      });
      expect(res.status).toBe(202);
    }
    expect(await letters()).toEqual([
      expect.objectContaining({
        event_id: 'twice',
        failures: 1,
        error_code: 503,
        error_data: 'busy',
        extensions: { partitionkey: 'show-1' },
      }),
    ]);
  });

  it('refuses a dead letter without the broker’s token for admit-batch (401), storing nothing', async () => {
    const { bouncer } = await stack();
    const m = HTTP.binary(admitted());
    for (const authorization of [undefined, eventAuthorization('reserve-seat'), 'Bearer forged']) {
      const res = await fetch(`${bouncer.url}/dead-letters`, {
        method: 'POST',
        headers: { ...(m.headers as Record<string, string>), ...(authorization ? { authorization } : {}) },
        body: m.body as string,
      });
      expect(res.status).toBe(401);
    }
    expect(await letters()).toEqual([]);
    // And the operators' API needs the operators' token.
    expect(
      (
        await fetch(`${bouncer.url}/admin/api/dead-letters`, {
          headers: { authorization: 'Bearer not-the-admin-token' },
        })
      ).status,
    ).toBe(401);
    expect(
      (
        await fetch(`${bouncer.url}/admin/api/dead-letters/1/replay`, {
          method: 'POST',
          headers: { authorization: 'Bearer not-the-admin-token' },
        })
      ).status,
    ).toBe(401);
  });
});

describe('letters no store expects', () => {
  /** Posts a dead letter (binary mode) as the broker would; the raw body and headers given. */
  const post = (url: string, headers: Record<string, string>, body: string) =>
    fetch(`${url}/dead-letters`, {
      method: 'POST',
      headers: {
        authorization: fromBroker(),
        'content-type': 'application/json',
        'ce-specversion': '1.0',
        'ce-source': '/premiere/test',
        'ce-type': 'premiere.test.odd',
        ...headers,
      },
      body,
    });

  it('stores what PostgreSQL cannot take as it came (NUL, lone surrogates, deep nesting, an odd status), never a 500', async () => {
    const { url } = await start(admitBatch);
    const deep = `${'['.repeat(1_000)}${']'.repeat(1_000)}`;
    const deeper = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const cases: [Record<string, string>, string][] = [
      [{ 'ce-id': 'nul-data' }, JSON.stringify({ text: 'a\u0000b' })],
      [{ 'ce-id': 'nul-subject', 'ce-subject': 'a%00b' }, '{}'],
      [{ 'ce-id': 'nul-extension', 'ce-note': 'a%00b' }, '{}'],
      [{ 'ce-id': 'nul-error', 'ce-knativeerrordata': 'eAB5' }, '{}'],
      [{ 'ce-id': 'surrogate' }, '{"text":"\\ud800"}'],
      [{ 'ce-id': 'deep' }, deep],
      [{ 'ce-id': 'odd-code', 'ce-knativeerrorcode': '99999999999' }, '{}'],
    ];
    for (const [headers, body] of cases) {
      const res = await post(url, headers, body);
      expect([headers['ce-id'], res.status]).toEqual([headers['ce-id'], 202]);
    }
    // Nested deeper than anything can serialise again: refused in words (400), not a 500 retried.
    const refused = await post(url, { 'ce-id': 'deeper' }, deeper);
    expect(refused.status).toBe(400);
    const { rows } = await sql.query(
      "SELECT event_id FROM admit_batch.dead_letters WHERE type = 'premiere.test.odd' ORDER BY event_id",
    );
    expect(rows.map((r) => r.event_id)).toEqual(cases.map(([h]) => h['ce-id']).sort());
  });

  it('replays every one of a type even behind a whole batch of letters that cannot be replayed (no call left doing nothing)', async () => {
    const { url } = await start(admitBatch);
    const type = 'premiere.test.stuck';
    await sql.query(
      `INSERT INTO admit_batch.dead_letters (event_id, source, type, extensions) SELECT 'stuck-' || g, '/premiere/test', $1, '{"constructor": "x"}' FROM generate_series(1, 500) g`,
      [type],
    );
    await sql.query(
      `INSERT INTO admit_batch.dead_letters (event_id, source, type, data) VALUES ('fine', '/premiere/test', $1, '{}')`,
      [type],
    );
    const { status, body } = await replayType(url, type);
    expect([status, body.replayed, body.left, body.refused.length]).toEqual([200, 1, 500, 500]);
    expect((await sql.query("SELECT open FROM admit_batch.dead_letters WHERE event_id = 'fine'")).rows[0].open).toBe(
      false,
    );
  });

  it('replays at most 500 of a type per call and says how many are left; the next call replays the rest', async () => {
    const { url } = await start(admitBatch);
    const type = 'premiere.test.many';
    await sql.query(
      `INSERT INTO admit_batch.dead_letters (event_id, source, type, data) SELECT 'many-' || g, '/premiere/test', $1, '{}' FROM generate_series(1, 501) g`,
      [type],
    );
    const replay = async () => {
      const { status, body } = await replayType(url, type);
      return [status, body.replayed, body.left];
    };
    expect(await replay()).toEqual([200, 500, 1]);
    expect(await replay()).toEqual([200, 1, 0]);
    const open = await sql.query('SELECT count(*)::int AS n FROM admit_batch.dead_letters WHERE type = $1 AND open', [
      type,
    ]);
    expect(open.rows[0].n).toBe(0);
  });

  it('refuses to replay (409, left open) a letter that could never be published as it was, instead of a replay stuck in the outbox', async () => {
    const { url } = await start(admitBatch);
    expect((await post(url, { 'ce-id': 'odd-extension', 'ce-constructor': 'x' }, '{}')).status).toBe(202);
    const { rows } = await sql.query("SELECT id FROM admit_batch.dead_letters WHERE event_id = 'odd-extension'");
    const res = await fetch(`${url}/admin/api/dead-letters/${rows[0].id}/replay`, { method: 'POST', headers: admin });
    expect(res.status).toBe(409);
    expect((await res.json()).message).toMatch(/constructor/);
    const after = await sql.query("SELECT open FROM admit_batch.dead_letters WHERE event_id = 'odd-extension'");
    expect(after.rows[0].open).toBe(true);
    expect((await sql.query('SELECT count(*)::int AS n FROM admit_batch.outbox')).rows[0].n).toBe(0);
  });
});

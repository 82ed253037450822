import { CloudEvent, HTTP } from 'cloudevents';
import pg from 'pg';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  testEnv,
  type TestDatabase,
  consumer,
} from '@premiere/testing';

let db: TestDatabase;
let sql: pg.Pool;
let fn: RunningFunction;
let url: string;
let logs: ReturnType<typeof captureLogs>;
const seen: string[] = [];
const redis = createTestRedisPrefix();

beforeAll(async () => {
  db = await createTestDatabase();
  sql = new pg.Pool({ connectionString: db.url });
  sql.on('error', () => undefined); // dropping the database ends idle connections
  logs = captureLogs();
  fn = createFunction(consumer(seen), testEnv(db, redis.prefix), logs.stream);
  await fn.start();
  url = `http://127.0.0.1:${fn.server.info.port}/events`;
});
afterAll(async () => {
  await fn.stop();
  await sql.end();
  await db.drop();
  await redis.clean();
});
beforeEach(() => {
  seen.length = 0;
});

const admitted = (id: string, data: unknown = { n: 1 }) =>
  new CloudEvent({ id, type: 'premiere.visitors.admitted', source: '/premiere/issue-token', subject: 'show-1', data });

async function post(message: { headers: Record<string, unknown>; body: unknown }) {
  return fetch(url, {
    method: 'POST',
    headers: { ...(message.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
    body: message.body as string,
  });
}
const inboxCount = async () => Number((await sql.query('SELECT count(*) FROM admit_batch.inbox')).rows[0].count);

describe('CloudEvents in', () => {
  it('takes an event in binary mode', async () => {
    const res = await post(HTTP.binary(admitted('bin-1')));
    expect(res.status).toBe(204);
    expect(res.headers.get('x-premiere-outcome')).toBe('handled');
    expect(seen).toEqual(['bin-1']);
  });

  it('takes an event in structured mode', async () => {
    const message = HTTP.structured(admitted('struct-1'));
    expect(message.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect((await post(message)).status).toBe(204);
    expect(seen).toEqual(['struct-1']);
  });

  it('handles a redelivered event (same source and id) once', async () => {
    const message = HTTP.binary(admitted('dup-1'));
    const answers = await Promise.all([post(message), post(message), post(HTTP.structured(admitted('dup-1')))]);
    expect(answers.map((r) => r.status)).toEqual([204, 204, 204]);
    expect(answers.map((r) => r.headers.get('x-premiere-outcome')).sort()).toEqual([
      'duplicate',
      'duplicate',
      'handled',
    ]);
    expect(seen).toEqual(['dup-1']);
    // The same id from another source is another event.
    await post(HTTP.binary(new CloudEvent({ ...admitted('dup-1'), source: '/premiere/other' })));
    expect(seen).toEqual(['dup-1', 'dup-1']);
  });

  it('refuses what is not a valid CloudEvent with 400, changing nothing', async () => {
    const before = await inboxCount();
    const cases: [Record<string, string>, string][] = [
      [{ 'content-type': 'application/json' }, '{"hello":"world"}'], // no ce- headers at all
      [{ 'content-type': 'application/cloudevents+json' }, '{not json'],
      [
        { 'content-type': 'application/cloudevents+json' },
        JSON.stringify({ specversion: '1.0', type: 'premiere.visitors.admitted', source: '/x' }),
      ], // no id
      [{ 'ce-id': '1', 'ce-source': '/x', 'ce-specversion': '1.0' }, ''], // no type
      [{ 'ce-id': '1', 'ce-source': '/x', 'ce-type': 'premiere.visitors.admitted', 'ce-specversion': '0.1' }, ''],
    ];
    for (const [headers, body] of cases) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...headers, authorization: eventAuthorization('admit-batch') },
        body,
      });
      expect(res.status).toBe(400);
      expect((await res.json()).error).toMatch(/CloudEvent/);
    }
    expect(await inboxCount()).toBe(before);
    expect(seen).toEqual([]);
  });

  it('refuses an unknown type or invalid data with 400 saying which', async () => {
    const before = await inboxCount();
    const unknown = await post(
      HTTP.binary(new CloudEvent({ id: 'u-1', type: 'premiere.nothing.happened', source: '/x', data: {} })),
    );
    expect(unknown.status).toBe(400);
    expect((await unknown.json()).error).toBe('no handler for event type "premiere.nothing.happened"');
    const bad = await post(HTTP.binary(admitted('bad-1', { n: 'many' })));
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toBe('invalid data for premiere.visitors.admitted: "n" must be a number');
    expect(await inboxCount()).toBe(before);
    expect(seen).toEqual([]);
  });

  it('answers 500 when the handler fails, keeping nothing, so the broker redelivers', async () => {
    const failing: string[] = [];
    const f = createFunction(consumer(failing, { failFirst: 1 }), testEnv(db, redis.prefix), captureLogs().stream);
    await f.start();
    const target = `http://127.0.0.1:${f.server.info.port}/events`;
    const message = HTTP.binary(admitted('fail-1'));
    const send = () =>
      fetch(target, {
        method: 'POST',
        headers: { ...(message.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
        body: message.body as string,
      });
    expect((await send()).status).toBe(500);
    expect(failing).toEqual([]);
    expect((await send()).status).toBe(204);
    expect(failing).toEqual(['fail-1']);
    await f.stop();
  });

  it('answers with a reply event, as a Trigger subscriber may', async () => {
    const res = await post(
      HTTP.binary(new CloudEvent({ id: 'ping-1', type: 'premiere.test.pinged', source: '/x', data: { reply: true } })),
    );
    expect(res.status).toBe(200);
    const reply = HTTP.toEvent({ headers: Object.fromEntries(res.headers), body: await res.text() }) as CloudEvent<{
      ok: boolean;
    }>;
    expect(reply).toMatchObject({
      type: 'premiere.test.ponged',
      source: '/premiere/admit-batch',
      subject: 'x',
      data: { ok: true },
    });
  });

  it('fails, keeping nothing, when the reply is not a premiere event', async () => {
    const before = await inboxCount();
    const bad = HTTP.binary(
      new CloudEvent({
        id: 'ping-bad',
        type: 'premiere.test.pinged',
        source: '/x',
        data: { reply: true, replyType: 'Ponged' },
      }),
    );
    expect((await post(bad)).status).toBe(500);
    expect((await post(bad)).status).toBe(500); // not recorded as handled: retried, not skipped
    expect(await inboxCount()).toBe(before);
  });

  it('runs a schedule on a PingSource event, and refuses an unknown schedule', async () => {
    const ping = (schedule: string, id: string) =>
      HTTP.binary(
        new CloudEvent({
          id,
          type: 'dev.knative.sources.ping',
          source: '/apis/v1/namespaces/x/pingsources/p',
          data: { schedule },
        }),
      );
    const before = await inboxCount();
    expect((await post(ping('outbox-relay', 'p-1'))).status).toBe(204);
    expect(await inboxCount()).toBe(before); // the relay is work: no transaction, no inbox row
    const res = await post(ping('launch-rockets', 'p-2'));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatch(/"schedule" must be \[outbox-relay\]/);
  });

  it('logs every line of an event with its id', async () => {
    await post(HTTP.binary(admitted('log-1')));
    const lines = logs.lines.filter((l) => l.eventId === 'log-1');
    expect(lines.map((l) => l.msg)).toEqual(['handling', 'event received']);
    expect(lines[1]).toMatchObject({ eventType: 'premiere.visitors.admitted', outcome: 'handled' });
  });
});

describe('retention (EVENT_RETENTION_HOURS: 72 by default)', () => {
  it('forgets handled-event ids and published events older than that, and keeps newer ones and whatever is not published', async () => {
    await sql.query(`INSERT INTO admit_batch.inbox (source, event_id, type, received_at) VALUES
      ('/retention', 'old', 't', now() - interval '73 hours'), ('/retention', 'recent', 't', now() - interval '71 hours')`);
    // The unpublished one is not due (the relay leaves it alone meanwhile).
    await sql.query(`INSERT INTO admit_batch.outbox (event_id, type, data, created_at, published_at, next_attempt_at) VALUES
      (gen_random_uuid(), 'retention.old', '{}', now() - interval '80 hours', now() - interval '73 hours', now()),
      (gen_random_uuid(), 'retention.recent', '{}', now() - interval '80 hours', now() - interval '71 hours', now()),
      (gen_random_uuid(), 'retention.unpublished', '{}', now() - interval '80 hours', NULL, now() + interval '1 day')`);
    await fn.outbox.prune();
    const inbox = await sql.query("SELECT event_id FROM admit_batch.inbox WHERE source = '/retention'");
    expect(inbox.rows.map((r) => r.event_id)).toEqual(['recent']);
    const outbox = await sql.query("SELECT type FROM admit_batch.outbox WHERE type LIKE 'retention.%' ORDER BY type");
    expect(outbox.rows.map((r) => r.type)).toEqual(['retention.recent', 'retention.unpublished']);
  });
});

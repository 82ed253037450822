import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import pg from 'pg';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  eventTokenFile,
  eventually,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  NO_JOIN_LIMITS,
  TEST_ADMIN_TOKEN,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import { roomKeys } from '@premiere/waiting-room';
import { issueToken } from '@premiere/issue-token';
import { admitBatch } from '../src';

/**
 * A show's quota counts live tokens: a token comes back when its visitor leaves, is passed over,
 * lets the admission expire, leaves the zone without a word, or ends the visit without an order;
 * a token whose visit ended with an order became seats. A show whose tokens come back while seats
 * are left is on sale again, and the catalog is told.
 */

let db: TestDatabase;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});
afterAll(async () => {
  await db.drop();
  await redis.clean();
});

// Visitors here all come from one address (127.0.0.1): the per-address limits are security.test.ts's.
const env = (extra: Record<string, string> = {}) =>
  testEnv(db, redis.prefix, {
    TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    STATUS_SNAPSHOT_MS: '0',
    ...NO_JOIN_LIMITS,
    ...extra,
  });

/** admit-batch, and issue-token with its nudges delivered straight to it (as the broker's Triggers would). */
async function start(extra: Record<string, string> = {}) {
  const bouncer = createFunction(admitBatch, env(extra), captureLogs().stream);
  running.push(bouncer);
  await bouncer.start();
  const bouncerUrl = `http://127.0.0.1:${bouncer.server.info.port}`;
  const tokens = createFunction(
    issueToken,
    env({ K_SINK: `${bouncerUrl}/events`, EVENT_SINK_TOKEN_FILE: eventTokenFile('admit-batch'), ...extra }),
    captureLogs().stream,
  );
  running.push(tokens);
  await tokens.start();
  return { bouncer, bouncerUrl, url: `http://127.0.0.1:${tokens.server.info.port}`, redis: bouncer.ctx.redis };
}

let n = 0;
const newSession = () => `quota-session-${process.pid}-${++n}-abcdef`;
interface Visitor {
  session: string;
  token: string;
  visitor: number;
  state: string;
}
async function join(url: string, showId: string): Promise<Visitor> {
  const session = newSession();
  const res = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
    method: 'POST',
    headers: { 'x-session-id': session },
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`join answered ${res.status}: ${JSON.stringify(body)}`);
  return { session, token: body.token, visitor: body.visitor, state: body.status.state };
}
const tryJoin = async (url: string, showId: string) =>
  (
    await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': newSession() },
    })
  ).status;
const status = async (url: string, showId: string, v: Visitor) =>
  (
    await fetch(`${url}/waiting-room/api/shows/${showId}/status`, {
      headers: { authorization: `Bearer ${v.token}`, 'x-session-id': v.session },
    })
  ).json();
const leave = (url: string, showId: string, v: Visitor) =>
  fetch(`${url}/waiting-room/api/shows/${showId}/token`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${v.token}`, 'x-session-id': v.session },
  });

let eventId = 0;
function event(url: string, type: string, data: Record<string, unknown>, id = `q-${process.pid}-${++eventId}`) {
  const m = HTTP.binary(new CloudEvent({ id, type, source: '/premiere/test', data }));
  return fetch(`${url}/events`, {
    method: 'POST',
    headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
    body: m.body as string,
  });
}
const ping = (url: string) => event(url, 'dev.knative.sources.ping', { schedule: 'admission-sweep' });
const adminState = async (url: string, showId: string) =>
  (
    await fetch(`${url}/admin/api/shows/${showId}`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } })
  ).json();

/** The availability events a function wrote to its outbox for a show, in order. */
async function availabilityEvents(schema: 'issue_token' | 'admit_batch', showId: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const { rows } = await c.query(
      `SELECT data FROM ${schema}.outbox WHERE type = 'premiere.show.availability.changed' AND subject = $1 ORDER BY id`,
      [showId],
    );
    return rows.map((r) => r.data.availability);
  } finally {
    await c.end();
  }
}

describe('tokens come back', () => {
  it('when a visitor leaves the line, the pre-queue or the zone', async () => {
    const { url, redis: r } = await start();
    const showId = await addTestShow(db.url, { seats: 3, overbooking: 0, zoneCapacity: 1 });
    const [a, b, c] = [await join(url, showId), await join(url, showId), await join(url, showId)];
    expect([a.state, b.state, c.state]).toEqual(['admitted', 'waiting', 'waiting']);
    expect(await tryJoin(url, showId)).toBe(410);
    expect((await leave(url, showId, b)).status).toBe(200); // from the line
    const d = await join(url, showId);
    expect(await tryJoin(url, showId)).toBe(410);
    expect((await leave(url, showId, a)).status).toBe(200); // from the zone
    await join(url, showId);
    expect(await tryJoin(url, showId)).toBe(410);
    // Leaving twice gives back once.
    expect((await leave(url, showId, b)).status).toBe(200);
    expect(await tryJoin(url, showId)).toBe(410);
    expect(await r.hmget(roomKeys(showId).room, 'issued', 'returned')).toEqual(['5', '2']);
    expect(d.state).toBe('waiting');

    const opensAt = new Date(Date.now() + 60_000);
    const early = await addTestShow(db.url, { seats: 2, overbooking: 0, salesOpenAt: opensAt });
    const [p] = [await join(url, early), await join(url, early)];
    expect(p.state).toBe('pre_queue');
    expect(await tryJoin(url, early)).toBe(410);
    expect((await leave(url, early, p)).status).toBe(200); // from the pre-queue
    expect(await tryJoin(url, early)).toBe(201);
  });

  it('when a visitor is passed over for not polling, lets the admission expire, or leaves the zone without a word', async () => {
    const { url, bouncerUrl, redis: r } = await start({ ADMISSION_TTL_SECONDS: '1', GONE_AFTER_SECONDS: '1' });
    const showId = await addTestShow(db.url, { seats: 3, overbooking: 0, zoneCapacity: 1 });
    const a = await join(url, showId); // admitted, never comes
    const b = await join(url, showId); // waits, closes the tab
    const c = await join(url, showId); // waits and polls
    expect([a.state, b.state, c.state]).toEqual(['admitted', 'waiting', 'waiting']);
    expect(await tryJoin(url, showId)).toBe(410);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await status(url, showId, c)).state).toBe('waiting'); // seen: c is not passed over
    expect((await ping(bouncerUrl)).status).toBe(204);
    expect((await status(url, showId, a)).state).toBe('expired');
    expect((await status(url, showId, b)).state).toBe('left');
    expect((await status(url, showId, c)).state).toBe('admitted');
    expect(await r.hget(roomKeys(showId).room, 'returned')).toBe('2');
    // c enters seat selection (reserve-seat says so) and then leaves without a word: the lease lapses.
    const until = Date.now() + 1_300; // later than the admission's deadline: the lease is extended
    expect(
      (
        await event(bouncerUrl, 'premiere.visitor.active', {
          showId,
          visitor: c.visitor,
          until: new Date(until).toISOString(),
        })
      ).status,
    ).toBe(204);
    expect(await r.hget(`${roomKeys(showId).visitorPrefix}${c.visitor}`, 'state')).toBe('inside');
    await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 100));
    expect((await ping(bouncerUrl)).status).toBe(204);
    expect(await r.hget(`${roomKeys(showId).visitorPrefix}${c.visitor}`, 'state')).toBe('gone');
    expect(await r.hget(roomKeys(showId).room, 'returned')).toBe('3');
    // Three tokens back, three more visitors; then sold out again. Sweeping again returns nothing twice.
    expect((await ping(bouncerUrl)).status).toBe(204);
    expect([
      await tryJoin(url, showId),
      await tryJoin(url, showId),
      await tryJoin(url, showId),
      await tryJoin(url, showId),
    ]).toEqual([201, 201, 201, 410]);
  });

  it('when a visit ends without an order (hold released or expired), once however often the event comes; never for an order confirmed', async () => {
    const { url, bouncerUrl, redis: r } = await start();
    const showId = await addTestShow(db.url, { seats: 3, overbooking: 0, zoneCapacity: 3 });
    const [a, b, c] = [await join(url, showId), await join(url, showId), await join(url, showId)];
    expect(await tryJoin(url, showId)).toBe(410);
    const released = { showId, visitor: a.visitor, orderId: randomUUID() };
    expect((await event(bouncerUrl, 'premiere.hold.released', released)).status).toBe(204);
    // Redelivered (the same id: the inbox), and sent again (a new id, as a replayed handler would).
    expect((await event(bouncerUrl, 'premiere.hold.released', released, `q-${process.pid}-${eventId}`)).status).toBe(
      204,
    );
    expect((await event(bouncerUrl, 'premiere.hold.released', released)).status).toBe(204);
    expect(await r.hget(roomKeys(showId).room, 'returned')).toBe('1');
    // b bought seats: that token is spent, whatever comes after (a late hold.expired of an older order).
    expect(
      (
        await event(bouncerUrl, 'premiere.order.confirmed', {
          showId,
          visitor: b.visitor,
          orderId: randomUUID(),
          tickets: [],
        })
      ).status,
    ).toBe(204);
    expect(
      (await event(bouncerUrl, 'premiere.hold.expired', { showId, visitor: b.visitor, orderId: randomUUID() })).status,
    ).toBe(204);
    expect(await r.hget(roomKeys(showId).room, 'returned')).toBe('1');
    expect(
      (await event(bouncerUrl, 'premiere.hold.expired', { showId, visitor: c.visitor, orderId: randomUUID() })).status,
    ).toBe(204);
    expect(await r.hget(roomKeys(showId).room, 'returned')).toBe('2');
    expect([await tryJoin(url, showId), await tryJoin(url, showId), await tryJoin(url, showId)]).toEqual([
      201, 201, 410,
    ]);
  });

  it('takes a token back as seats when an order is confirmed after its visitor’s token had come back', async () => {
    const { url, bouncerUrl, redis: r } = await start();
    const showId = await addTestShow(db.url, { seats: 2, overbooking: 0, zoneCapacity: 2 });
    const [a] = [await join(url, showId), await join(url, showId)];
    // a gave up their place in the zone while their payment was under way; the payment then went through.
    expect((await leave(url, showId, a)).status).toBe(200);
    expect(await r.hget(roomKeys(showId).room, 'returned')).toBe('1');
    expect(
      (
        await event(bouncerUrl, 'premiere.order.confirmed', {
          showId,
          visitor: a.visitor,
          orderId: randomUUID(),
          tickets: [],
        })
      ).status,
    ).toBe(204);
    expect(await r.hget(roomKeys(showId).room, 'returned')).toBe('0');
    expect(await tryJoin(url, showId)).toBe(410);
  });
});

describe('a sold-out show reopens', () => {
  it('the 24-seat premiere: sold out with 12 seats unsold and nobody waiting goes back on sale, the catalog is told, and joiners get the returned tokens', async () => {
    const { url, bouncerUrl, redis: r } = await start();
    const showId = await addTestShow(db.url, { seats: 24, overbooking: 0.1, zoneCapacity: 30 }); // 26 tokens
    const visitors: Visitor[] = [];
    for (let i = 0; i < 26; i++) visitors.push(await join(url, showId));
    expect(await tryJoin(url, showId)).toBe(410);
    const availability = roomKeys(showId).availability;
    expect(await r.get(availability)).toBe('sold_out');
    expect(await availabilityEvents('issue_token', showId)).toEqual(['few_left', 'sold_out']);

    // 12 buy (12 seats sold), 14 end their visit without an order: 12 seats left, nobody waiting.
    for (const v of visitors.slice(0, 12))
      await event(bouncerUrl, 'premiere.order.confirmed', {
        showId,
        visitor: v.visitor,
        orderId: randomUUID(),
        tickets: [],
      });
    await r.hset(roomKeys(showId).room, 'seatsFree', 12, 'seatsSoldOut', 0); // as reserve-seat counts them
    expect(await r.get(availability)).toBe('sold_out');
    await event(bouncerUrl, 'premiere.hold.expired', { showId, visitor: visitors[12].visitor, orderId: randomUUID() });
    expect(await r.get(availability)).toBe('few_left'); // one token back of 26 (few left: 2 or fewer)
    expect(await availabilityEvents('admit_batch', showId)).toEqual(['few_left']);
    for (const v of visitors.slice(13, 20))
      await event(bouncerUrl, 'premiere.hold.released', { showId, visitor: v.visitor, orderId: randomUUID() });
    for (const v of visitors.slice(20, 26)) expect((await leave(url, showId, v)).status).toBe(200);
    expect(await r.get(availability)).toBe('available');
    expect(await availabilityEvents('admit_batch', showId)).toEqual(['few_left', 'available']);
    expect(await availabilityEvents('issue_token', showId)).toEqual(['few_left', 'sold_out']); // the leaves did not cross again

    const state = await adminState(bouncerUrl, showId);
    expect(state).toMatchObject({
      quota: 26,
      tokensIssued: 26,
      tokensReturned: 14,
      tokensLive: 12,
      tokensLeft: 14,
      availability: 'available',
    });

    // Joiners get the returned tokens, and the show sells out again when they are gone.
    const late: number[] = [];
    for (let i = 0; i < 15; i++) late.push(await tryJoin(url, showId));
    expect(late).toEqual([...Array(14).fill(201), 410]);
    expect(await r.get(availability)).toBe('sold_out');
    expect(await availabilityEvents('issue_token', showId)).toEqual(['few_left', 'sold_out', 'few_left', 'sold_out']);
  });

  it('stays sold out while every seat is sold, whatever tokens come back', async () => {
    const { url, bouncerUrl, redis: r } = await start();
    const showId = await addTestShow(db.url, { seats: 4, overbooking: 1, zoneCapacity: 8 }); // 8 tokens
    const visitors: Visitor[] = [];
    for (let i = 0; i < 3; i++) visitors.push(await join(url, showId));
    // Two buyers took every seat (reserve-seat writes seatsSoldOut): tokens are left, but none can become a seat.
    await event(bouncerUrl, 'premiere.order.confirmed', {
      showId,
      visitor: visitors[0].visitor,
      orderId: randomUUID(),
      tickets: [],
    });
    await event(bouncerUrl, 'premiere.order.confirmed', {
      showId,
      visitor: visitors[1].visitor,
      orderId: randomUUID(),
      tickets: [],
    });
    await r.hset(roomKeys(showId).room, 'seatsFree', 0, 'seatsSoldOut', 1);
    expect(await tryJoin(url, showId)).toBe(410);
    await event(bouncerUrl, 'premiere.hold.released', { showId, visitor: visitors[2].visitor, orderId: randomUUID() });
    expect(await tryJoin(url, showId)).toBe(410);
    expect(await r.get(roomKeys(showId).availability)).toBe('sold_out');
    expect(await r.hget(roomKeys(showId).room, 'issued')).toBe('3');
    expect(await adminState(bouncerUrl, showId)).toMatchObject({ tokensLive: 2, availability: 'sold_out' });
  });

  it('lists a show by its live tokens when an operator changes the overbooking', async () => {
    const { url, bouncerUrl, redis: r } = await start();
    const showId = await addTestShow(db.url, { seats: 10, overbooking: 0.5, zoneCapacity: 20 }); // 15 tokens
    const visitors: Visitor[] = [];
    for (let i = 0; i < 12; i++) visitors.push(await join(url, showId));
    for (const v of visitors.slice(0, 3)) expect((await leave(url, showId, v)).status).toBe(200); // 9 live
    const patch = (overbooking: number) =>
      fetch(`${bouncerUrl}/admin/api/shows/${showId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ overbooking }),
      });
    expect(await (await patch(0)).json()).toMatchObject({
      quota: 10,
      tokensIssued: 12,
      tokensLive: 9,
      tokensLeft: 1,
      availability: 'few_left',
    });
    expect(await r.get(roomKeys(showId).availability)).toBe('few_left');
    expect(await (await patch(0.5)).json()).toMatchObject({ quota: 15, tokensLeft: 6, availability: 'available' });
    expect(await availabilityEvents('admit_batch', showId)).toEqual(['few_left', 'available']);
  });
});

describe('the per-address cap counts tokens in play', () => {
  it('a purchase gives its address’s share back: behind one carrier address, buyers do not lock out the rest', async () => {
    // A cap of 2 for this address; the address is 127.0.0.1 (the edge would have said so).
    const { url, bouncerUrl } = await start({ ADDRESS_TOKEN_CAP_MIN: '2' });
    const showId = await addTestShow(db.url, { seats: 10, overbooking: 0, zoneCapacity: 10 });
    const [a, b] = [await join(url, showId), await join(url, showId)];
    expect(await tryJoin(url, showId)).toBe(429); // the address holds its two
    // a buys: that token became seats, and holds no share of what is left to sell.
    expect(
      (
        await event(bouncerUrl, 'premiere.order.confirmed', {
          showId,
          visitor: a.visitor,
          orderId: randomUUID(),
          tickets: [],
        })
      ).status,
    ).toBe(204);
    expect(await tryJoin(url, showId)).toBe(201);
    expect(await tryJoin(url, showId)).toBe(429);
    // b gives up: its share comes back too, once.
    expect(
      (await event(bouncerUrl, 'premiere.hold.released', { showId, visitor: b.visitor, orderId: randomUUID() })).status,
    ).toBe(204);
    expect(
      (
        await event(bouncerUrl, 'premiere.order.confirmed', {
          showId,
          visitor: b.visitor,
          orderId: randomUUID(),
          tickets: [],
        })
      ).status,
    ).toBe(204); // confirmed late
    expect(await tryJoin(url, showId)).toBe(201);
    expect(await tryJoin(url, showId)).toBe(429);
  });
});

describe('a refused join reclaims what lapsed, without waiting for the sweep', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('the 24-seat premiere sold out to visitors who never polled nor entered is on sale again for the next joiner', async () => {
    const { url, bouncerUrl, redis: r } = await start({ ADMISSION_TTL_SECONDS: '1', GONE_AFTER_SECONDS: '1' });
    const showId = await addTestShow(db.url, { seats: 24, overbooking: 0.1, zoneCapacity: 10 }); // 26 tokens
    const visitors: Visitor[] = [];
    for (let i = 0; i < 26; i++) visitors.push(await join(url, showId));
    expect(visitors.filter((v) => v.state === 'admitted')).toHaveLength(10);
    expect(await tryJoin(url, showId)).toBe(410);
    // Nobody polls, nobody enters: the ten admissions lapse and the sixteen waiting are gone.
    await sleep(1_200);
    expect(await tryJoin(url, showId)).toBe(410); // still sold out, but the bouncer is told to look
    await eventually(async () => (await r.hget(roomKeys(showId).room, 'returned')) === '26');
    expect(await r.get(roomKeys(showId).availability)).toBe('available');
    // Announced by the pass that gave them back, once its transaction commits.
    const announced = await eventually(async () => {
      const events = await availabilityEvents('admit_batch', showId);
      return events.length > 0 && events;
    });
    expect(announced).toEqual(['available']);
    expect(await tryJoin(url, showId)).toBe(201);
    expect(await adminState(bouncerUrl, showId)).toMatchObject({ tokensReturned: 26, tokensLive: 1, waiting: 0 });
  });

  it('an address at its cap with lapsed admissions and visitors who stopped polling gets a token again', async () => {
    const { url, redis: r } = await start({
      ADMISSION_TTL_SECONDS: '1',
      GONE_AFTER_SECONDS: '1',
      ADDRESS_TOKEN_CAP_MIN: '4',
    });
    const showId = await addTestShow(db.url, { seats: 20, overbooking: 0, zoneCapacity: 2 });
    const visitors: Visitor[] = [];
    for (let i = 0; i < 4; i++) visitors.push(await join(url, showId));
    expect(visitors.map((v) => v.state)).toEqual(['admitted', 'admitted', 'waiting', 'waiting']);
    expect(await tryJoin(url, showId)).toBe(429);
    await sleep(1_200);
    expect(await tryJoin(url, showId)).toBe(429); // the address's share is still held, but the bouncer is told to look
    await eventually(async () => (await r.hget(roomKeys(showId).room, 'returned')) === '4');
    expect(await tryJoin(url, showId)).toBe(201);
  });

  it('does not send the bouncer looking when nothing has lapsed', async () => {
    const { url, bouncerUrl } = await start({ ADMISSION_TTL_SECONDS: '60', GONE_AFTER_SECONDS: '60' });
    const showId = await addTestShow(db.url, { seats: 2, overbooking: 0, zoneCapacity: 1 });
    await join(url, showId);
    await join(url, showId);
    // Every admission pass sets the show's queue gauge.
    const passes = async () =>
      (await (await fetch(`${bouncerUrl}/metrics`)).text()).includes(`premiere_queue_length{show="${showId}"}`);
    for (let i = 0; i < 5; i++) expect(await tryJoin(url, showId)).toBe(410);
    await sleep(300);
    expect(await passes()).toBe(false); // no admission pass ran for the show
  });
});

describe('operators and the per-address cap', () => {
  it('raise (or lift) one show’s per-address cap live, and give it back to the deployment’s default', async () => {
    const { url, bouncerUrl } = await start({ ADDRESS_TOKEN_CAP_MIN: '2', ADDRESS_TOKEN_CAP_SHARE: '0' });
    const showId = await addTestShow(db.url, { seats: 20 });
    const admin = (body: unknown) =>
      fetch(`${bouncerUrl}/admin/api/shows/${showId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await adminState(bouncerUrl, showId)).addressTokenCap).toBeNull();
    expect([await tryJoin(url, showId), await tryJoin(url, showId), await tryJoin(url, showId)]).toEqual([
      201, 201, 429,
    ]);
    // A university's students behind one address: the operator raises this show's cap.
    expect(await (await admin({ addressTokenCap: 4 })).json()).toMatchObject({ addressTokenCap: 4 });
    expect([await tryJoin(url, showId), await tryJoin(url, showId), await tryJoin(url, showId)]).toEqual([
      201, 201, 429,
    ]);
    expect(await (await admin({ addressTokenCap: 0 })).json()).toMatchObject({ addressTokenCap: 0 }); // no cap
    expect(await tryJoin(url, showId)).toBe(201);
    expect(await (await admin({ addressTokenCap: null })).json()).toMatchObject({ addressTokenCap: null }); // the default again
    expect(await tryJoin(url, showId)).toBe(429);
    const refused = await admin({ addressTokenCap: -1 });
    expect(refused.status).toBe(400);
    expect((await refused.json()).message).toMatch(/"addressTokenCap" must be greater than or equal to 0/);
  });
});

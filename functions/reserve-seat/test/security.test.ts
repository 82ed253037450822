import type Hapi from '@hapi/hapi';
import pg from 'pg';
import nock from 'nock';
import { createHmac, randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import { createFunction, PING_EVENT_TYPE, type RunningFunction } from '@premiere/runtime';
import { sessionHash, TokenSigner } from '@premiere/contracts';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  TEST_ADMIN_TOKEN as ADMIN_TOKEN,
  TEST_SIGNING_KEYS as TOKEN_SIGNING_KEYS,
} from '@premiere/testing';
import { catalogSeats, createLegacyCinema } from '@premiere/simulators';
import { admitBatch } from '@premiere/admit-batch';
import { issueToken } from '@premiere/issue-token';
import { processPayment } from '@premiere/process-payment';
import { reserveSeat } from '../src';

/**
 * The security suite of the protected zone: one admission is one visit (one open order at a time,
 * a seat limit for the visit, a zone pass that ends with it and is never renewed), tokens that are
 * not ours in every detail are 401s, and an approval of a payment reserve-seat never asked for
 * confirms nothing. Each door: the attacker's request, the refusal, and proof that nothing changed.
 */
let db: TestDatabase;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];
let legacy: Hapi.Server;
let legacyUrl: string;
const [KEY_ID, KEY] = Object.entries(JSON.parse(TOKEN_SIGNING_KEYS) as Record<string, string>)[0];
const signer = new TokenSigner({ [KEY_ID]: KEY });

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
  const catalog = new pg.Pool({ connectionString: db.url, max: 2 });
  legacy = createLegacyCinema({
    port: 0,
    seatsOf: catalogSeats(catalog),
    latencyMs: [5, 20],
    concurrencyLimit: 10,
    holdSeconds: 120,
    overload: '503',
    stallMs: 0,
  });
  legacy.events.on('stop', () => void catalog.end());
  await legacy.start();
  legacyUrl = `http://127.0.0.1:${legacy.info.port}`;
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
  await legacy.stop();
  await db.drop();
  await redis.clean();
});

async function sql(text: string, params: unknown[] = []) {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    return (await c.query(text, params)).rows;
  } finally {
    await c.end();
  }
}

async function reserveSeatAt(env: Record<string, string> = {}) {
  const logs = captureLogs();
  const fn = createFunction(
    reserveSeat,
    testEnv(db, redis.prefix, { LEGACY_URL: legacyUrl, TOKEN_SIGNING_KEYS, ADMIN_TOKEN, ...env }),
    logs.stream,
  );
  running.push(fn);
  await fn.start();
  return { fn, logs, url: `http://127.0.0.1:${fn.server.info.port}` };
}

const now = () => Math.floor(Date.now() / 1000);
/** What the waiting room hands an admitted (or inside) visitor: an access token, at most a minute long. */
const accessToken = (showId: string, session: string, vid: number) =>
  signer.sign({ typ: 'access', show: showId, vid, place: vid, ses: sessionHash(session), iat: now(), exp: now() + 60 });

let visitors = 0;
/** An admitted visitor of `showId` at reserve-seat `url`, with what they can do. */
function visitorOf(url: string, showId: string) {
  const vid = ++visitors;
  const session = `visit-session-${String(vid).padStart(12, '0')}`;
  let pass = '';
  const v = {
    vid,
    session,
    get headers() {
      return { authorization: `Bearer ${pass}`, 'x-session-id': session, 'content-type': 'application/json' };
    },
    /** Enters with an access token (a fresh one from the waiting room by default) or, with `'pass'`, the zone pass. */
    async enter(using: 'access' | 'pass' = 'access') {
      const token = using === 'pass' ? pass : accessToken(showId, session, vid);
      const res = await fetch(`${url}/checkout/${showId}?access=${token}`, { headers: { 'x-session-id': session } });
      const body = await res.json();
      if (res.status === 200) pass = body.zoneToken;
      return { status: res.status, body };
    },
    seatMap: () => fetch(`${url}/checkout/api/shows/${showId}/seats`, { headers: v.headers }),
    async hold(...seats: string[]) {
      const res = await fetch(`${url}/checkout/api/shows/${showId}/orders`, {
        method: 'POST',
        headers: v.headers,
        body: JSON.stringify({ seats: seats.map((seat) => ({ seat, ticketType: 'full' })) }),
      });
      return { status: res.status, body: await res.json() };
    },
    order: (orderId: string, headers: Record<string, string> = v.headers) =>
      fetch(`${url}/checkout/api/orders/${orderId}`, { headers }),
    pay: (orderId: string) =>
      fetch(`${url}/checkout/api/orders/${orderId}/payment`, {
        method: 'POST',
        headers: v.headers,
        body: JSON.stringify({ paymentToken: 'tok_visa' }),
      }),
    giveUp: (orderId: string) =>
      fetch(`${url}/checkout/api/orders/${orderId}`, { method: 'DELETE', headers: v.headers }),
  };
  return v;
}

/** Posts a CloudEvent to a function, as the broker delivers it (reserve-seat's events go to process-payment, the others to reserve-seat). */
function deliver(url: string, type: string, data: unknown, source = '/premiere/process-payment') {
  const m = HTTP.binary(new CloudEvent({ id: randomUUID(), type, source, data }));
  const to = source === '/premiere/reserve-seat' ? 'process-payment' : 'reserve-seat';
  return fetch(`${url}/events`, {
    method: 'POST',
    headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization(to) },
    body: m.body as string,
  });
}

/** process-payment's approval of an order's first payment attempt (the one its first POST …/payment asked for). */
const approveFirstPayment = (url: string, orderId: string, amountCents: number) =>
  deliver(url, 'premiere.payment.approved', {
    orderId,
    paymentId: `${orderId}:1`,
    attempt: 1,
    amountCents,
    currency: 'BRL',
    providerPaymentId: 'pay_test',
  });

/** What a show's record holds: its orders and their states, its seat claims, and the events in reserve-seat's outbox. */
async function recordOf(showId: string) {
  return {
    orders: await sql('SELECT id, state FROM reserve_seat.orders WHERE show_id = $1 ORDER BY created_at', [showId]),
    claims: (await sql('SELECT seat FROM reserve_seat.seat_claims WHERE show_id = $1 ORDER BY seat', [showId])).map(
      (r) => r.seat,
    ),
    tickets: (await sql('SELECT count(*)::int AS n FROM reserve_seat.tickets WHERE show_id = $1', [showId]))[0].n,
    events: (await sql('SELECT count(*)::int AS n FROM reserve_seat.outbox'))[0].n,
  };
}
const legacyStatus = async (showId: string, seat: string) =>
  (await (await fetch(`${legacyUrl}/shows/${showId}/seats`)).json()).seats.find(
    (s: { seat: string }) => s.seat === seat,
  ).status;

describe('a visit is one visit', () => {
  it('refuses a second order while the first holds seats (409 naming the first), also when both come at once, and changes nothing', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    const v = visitorOf(url, showId);
    expect((await v.enter()).status).toBe(200);
    const first = await v.hold('A1', 'A2');
    expect(first.status).toBe(201);

    const before = await recordOf(showId);
    const second = await v.hold('A3');
    expect(second.status).toBe(409);
    expect(second.body.message).toContain(first.body.orderId);
    expect(second.body.order).toEqual({
      orderId: first.body.orderId,
      state: 'pending_payment',
      url: `/checkout/api/orders/${first.body.orderId}`,
    });
    expect(await recordOf(showId)).toEqual(before);
    expect(await legacyStatus(showId, 'A3')).toBe('free');

    // Two at once: the visit's row lock lets one through.
    const w = visitorOf(url, showId);
    await w.enter();
    const racing = await Promise.all([w.hold('A31'), w.hold('A32'), w.hold('A33')].map((p) => p.then((r) => r.status)));
    expect(racing.sort()).toEqual([201, 409, 409]);
    expect((await recordOf(showId)).claims.filter((s: string) => ['A31', 'A32', 'A33'].includes(s))).toHaveLength(1);
  });

  it('lets one session hold at most a visit’s seats: six orders of six on a 40-seat show give it six', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    const hoarder = visitorOf(url, showId);
    await hoarder.enter();
    const answers = [];
    for (let o = 0; o < 6; o++)
      answers.push((await hoarder.hold(...Array.from({ length: 6 }, (_, i) => `A${o * 6 + i + 1}`))).status);
    expect(answers).toEqual([201, 409, 409, 409, 409, 409]);
    expect((await recordOf(showId)).claims).toHaveLength(6);
  });

  it('holds the seat limit across the visit’s orders, under its per-visit name or the old one', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url, fn } = await reserveSeatAt({ MAX_SEATS_PER_VISIT: '4' });
    const v = visitorOf(url, showId);
    await v.enter();
    const map = await (await v.seatMap()).json();
    expect(map).toMatchObject({ maxSeatsPerVisit: 4, maxSeatsPerOrder: 4 });
    const five = await v.hold('A1', 'A2', 'A3', 'A4', 'A5');
    expect(five.status).toBe(400);
    expect(five.body.message).toMatch(/"seats" must contain less than or equal to 4/);
    // A visit with 3 seats bought already (an order from before visits were recorded, say) gets one more.
    const bought = await v.hold('A1', 'A2', 'A3');
    await v.pay(bought.body.orderId);
    await approveFirstPayment(url, bought.body.orderId, 15_000);
    await sql('UPDATE reserve_seat.visits SET ended_at = NULL, end_reason = NULL WHERE show_id = $1 AND visitor = $2', [
      showId,
      v.vid,
    ]);
    fn.deps.visits.forget(showId, v.vid);
    const before = await recordOf(showId);
    const over = await v.hold('A4', 'A5');
    expect(over.status).toBe(409);
    expect(over.body.message).toMatch(/at most 4 seats.*3 already/);
    expect(await recordOf(showId)).toEqual(before);
    expect((await v.hold('A4')).status).toBe(201);

    const old = await reserveSeatAt({ MAX_SEATS_PER_ORDER: '3' });
    const o = visitorOf(old.url, showId);
    await o.enter();
    const tooMany = await o.hold('A10', 'A11', 'A12', 'A13');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toMatch(/"seats" must contain less than or equal to 3/);
  });

  it('ends the visit when its order is confirmed: the zone pass (or a fresh access token) neither sees the seat map nor orders again', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    const v = visitorOf(url, showId);
    await v.enter();
    const { body: order } = await v.hold('A1', 'A2');
    expect((await v.pay(order.orderId)).status).toBe(202);
    await approveFirstPayment(url, order.orderId, 10_000);
    expect((await (await v.order(order.orderId)).json()).state).toBe('confirmed');

    const before = await recordOf(showId);
    const again = await v.hold('A3');
    expect(again.status).toBe(410);
    expect(again.body).toMatchObject({
      message: expect.stringMatching(/visit is over.*\/waiting-room\//),
      waitingRoom: `/waiting-room/${showId}`,
    });
    expect((await v.seatMap()).status).toBe(410);
    expect((await v.enter('pass')).status).toBe(410);
    const fresh = await v.enter('access'); // the waiting room may still call them inside for a moment
    expect(fresh.status).toBe(410);
    expect(fresh.body.waitingRoom).toBe(`/waiting-room/${showId}`);
    expect(await recordOf(showId)).toEqual(before);
    // Their order and tickets stay theirs to see.
    expect((await v.order(order.orderId)).status).toBe(200);
    expect(
      await sql('SELECT end_reason FROM reserve_seat.visits WHERE show_id = $1 AND visitor = $2', [showId, v.vid]),
    ).toEqual([{ end_reason: 'order_confirmed' }]);
  });

  it('ends the visit when the buyer gives the order up', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    const v = visitorOf(url, showId);
    await v.enter();
    const { body: order } = await v.hold('A1');
    expect((await v.giveUp(order.orderId)).status).toBe(204);
    const before = await recordOf(showId);
    expect((await v.hold('A2')).status).toBe(410);
    expect((await v.seatMap()).status).toBe(410);
    expect(await recordOf(showId)).toEqual(before);
    expect(
      await sql('SELECT end_reason FROM reserve_seat.visits WHERE show_id = $1 AND visitor = $2', [showId, v.vid]),
    ).toEqual([{ end_reason: 'given_up' }]);
  });

  it('ends the visit when its hold runs out: the zone pass (or a fresh access token) neither sees the seat map nor orders again', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    const v = visitorOf(url, showId);
    await v.enter();
    const { body: order } = await v.hold('A1', 'A2');
    await sql("UPDATE reserve_seat.orders SET hold_expires_at = now() - interval '1 second' WHERE id = $1", [
      order.orderId,
    ]);
    expect((await deliver(url, PING_EVENT_TYPE, { schedule: 'hold-expiry' }, '/premiere/pingsource')).status).toBe(204);
    expect((await (await v.order(order.orderId)).json()).state).toBe('expired');

    const before = await recordOf(showId);
    const again = await v.hold('A3');
    expect(again.status).toBe(410);
    expect(again.body.message).toMatch(/visit is over \(your hold ran out\)/);
    expect((await v.seatMap()).status).toBe(410);
    expect((await v.enter('pass')).status).toBe(410);
    expect((await v.enter('access')).status).toBe(410);
    expect(await recordOf(showId)).toEqual(before);
    expect(
      await sql('SELECT end_reason FROM reserve_seat.visits WHERE show_id = $1 AND visitor = $2', [showId, v.vid]),
    ).toEqual([{ end_reason: 'hold_expired' }]);
  });

  it('does not end the visit when the legacy system refuses the hold', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    await fetch(`${legacyUrl}/shows/${showId}/holds`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ seats: ['A1'] }),
    });
    const v = visitorOf(url, showId);
    await v.enter();
    const refused = await v.hold('A1');
    expect(refused).toMatchObject({ status: 409, body: { seats: ['A1'] } });
    expect((await v.hold('A2')).status).toBe(201);
  });

  it('never renews the visit: re-entering with the zone pass or a fresh access token gives the same visit and the same end', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    const v = visitorOf(url, showId);
    const first = await v.enter();
    expect(first.status).toBe(200);
    const end = first.body.zoneExpiresAt;
    expect(Math.abs(Date.parse(end) - Date.now() - 300_000)).toBeLessThan(5_000);
    await new Promise((r) => setTimeout(r, 1_100));
    for (const using of ['pass', 'access', 'pass'] as const) {
      const again = await v.enter(using);
      expect([using, again.status, again.body.zoneExpiresAt]).toEqual([using, 200, end]);
      const exp = JSON.parse(Buffer.from(again.body.zoneToken.split('.')[1], 'base64url').toString()).exp;
      expect(exp * 1000).toBe(Date.parse(end));
    }
    // The bouncer was told once, until the visit's end.
    const active = await sql(
      "SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.visitor.active' AND subject = $1 AND (data->>'visitor')::int = $2",
      [showId, v.vid],
    );
    expect(active.map((a) => a.data)).toEqual([{ showId, visitor: v.vid, until: end }]);
  });

  it('closes the visit when its time is up (no seat map, no orders) while the order it holds can still be seen and paid', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url, fn } = await reserveSeatAt();
    const v = visitorOf(url, showId);
    await v.enter();
    const { body: order } = await v.hold('A1');
    const idle = visitorOf(url, showId);
    await idle.enter();
    await sql("UPDATE reserve_seat.visits SET ends_at = now() - interval '1 second' WHERE show_id = $1", [showId]);
    for (const x of [v, idle]) fn.deps.visits.forget(showId, x.vid); // other replicas: within a second or two

    const before = await recordOf(showId);
    expect((await v.seatMap()).status).toBe(410);
    expect((await v.enter('access')).status).toBe(410);
    const late = await v.hold('A2');
    expect(late.status).toBe(410);
    expect(late.body.message).toMatch(/time is up/);
    expect(await recordOf(showId)).toEqual(before);

    // The order is the buyer's, by their session, until the hold ends: no zone pass needed.
    const session = { 'x-session-id': v.session };
    expect((await v.order(order.orderId, session)).status).toBe(200);
    expect((await v.order(order.orderId, { 'x-session-id': idle.session })).status).toBe(404);
    expect((await v.order(order.orderId, {})).status).toBe(401);
    expect((await v.pay(order.orderId)).status).toBe(202);

    // The sweep records the end of a visit with nothing held; the one holding seats stays open until its order ends.
    expect((await deliver(url, PING_EVENT_TYPE, { schedule: 'hold-expiry' }, '/premiere/pingsource')).status).toBe(204);
    const visits = await sql(
      'SELECT visitor, end_reason, ended_at IS NOT NULL AS ended FROM reserve_seat.visits WHERE show_id = $1 ORDER BY visitor',
      [showId],
    );
    expect(visits).toEqual([
      { visitor: v.vid, end_reason: null, ended: false },
      { visitor: idle.vid, end_reason: 'time_up', ended: true },
    ]);
  });

  it('refuses a second session’s use of a visit and anyone not admitted, changing nothing', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    const v = visitorOf(url, showId);
    // Never entered: an access token alone opens no seat map and places no order.
    const res = await fetch(`${url}/checkout/api/shows/${showId}/orders`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${accessToken(showId, v.session, v.vid)}`,
        'x-session-id': v.session,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ seats: [{ seat: 'A1', ticketType: 'full' }] }),
    });
    expect(res.status).toBe(403);
    expect((await res.json()).message).toMatch(new RegExp(`/checkout/${showId}`));
    expect(await recordOf(showId)).toMatchObject({ orders: [], claims: [] });

    // A visit is its session's: the same visitor number with another session's token (the waiting
    // room's record lost, say) does not get into it.
    expect((await v.enter()).status).toBe(200);
    const intruder = await fetch(
      `${url}/checkout/${showId}?access=${accessToken(showId, 'intruder-session-00000001', v.vid)}`,
      { headers: { 'x-session-id': 'intruder-session-00000001' } },
    );
    expect(intruder.status).toBe(403);
    expect(await sql('SELECT session_hash FROM reserve_seat.visits WHERE show_id = $1', [showId])).toEqual([
      { session_hash: sessionHash(v.session) },
    ]);
  });

  it('answers 401, never 500, to a correctly signed token with a malformed payload or a non-canonical signature, at every route that takes one', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    const session = 'malformed-session-000001';
    const signed = (text: string) => {
      const payload = Buffer.from(text).toString('base64url');
      return `${KEY_ID}.${payload}.${createHmac('sha256', KEY).update(`${KEY_ID}.${payload}`).digest('base64url')}`;
    };
    const good = accessToken(showId, session, 77).split('.');
    const flipped = (c: string) =>
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'[
        'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.indexOf(c) ^ 1
      ];
    const tokens = [
      signed('null'),
      signed('[1]'),
      signed('{"typ":"access"'),
      signed(
        JSON.stringify({
          typ: 'access',
          show: showId,
          vid: '77',
          place: 77,
          ses: sessionHash(session),
          iat: now(),
          exp: now() + 60,
        }),
      ),
      `${good[0]}.${good[1]}.${good[2].slice(0, -1)}${flipped(good[2].at(-1)!)}`,
    ];
    const before = await recordOf(showId);
    for (const token of tokens) {
      const auth = { authorization: `Bearer ${token}`, 'x-session-id': session, 'content-type': 'application/json' };
      const answers = [
        await fetch(`${url}/checkout/${showId}?access=${token}`, { headers: { 'x-session-id': session } }),
        await fetch(`${url}/checkout/${showId}`, {
          headers: { cookie: `premiere_zone=${token}; premiere_session=${session}` },
        }),
        await fetch(`${url}/checkout/api/shows/${showId}/seats`, { headers: auth }),
        await fetch(`${url}/checkout/api/shows/${showId}/orders`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ seats: [{ seat: 'A1', ticketType: 'full' }] }),
        }),
      ];
      expect(answers.map((a) => a.status)).toEqual([401, 401, 401, 401]);
    }
    expect(await recordOf(showId)).toEqual(before);
    expect(await sql('SELECT count(*)::int AS n FROM reserve_seat.visits WHERE show_id = $1', [showId])).toEqual([
      { n: 0 },
    ]);
  });
});

describe('a place given up in the waiting room is given up in the zone too', () => {
  it('refuses entry and holds to a visitor who left the line after being admitted (their token went back to the show)', async () => {
    const showId = await addTestShow(db.url, { seats: 24 });
    const { url: zoneUrl } = await reserveSeatAt();
    const tokens = createFunction(
      issueToken,
      testEnv(db, redis.prefix, {
        TOKEN_SIGNING_KEYS,
        ADDRESS_TOKEN_CAP_MIN: '0',
        ADDRESS_TOKEN_CAP_SHARE: '0',
        ADDRESS_NEW_TOKEN_RATE: '0',
        STATUS_SNAPSHOT_MS: '0',
      }),
      captureLogs().stream,
    );
    running.push(tokens);
    await tokens.start();
    const waitingRoom = `http://127.0.0.1:${tokens.server.info.port}/waiting-room/api/shows/${showId}`;
    /** Joins (a quiet room admits at once) and returns the session and its access token. */
    const admitted = async (i: number) => {
      const session = `left-zone-session-${i}-${process.pid}`;
      const joined = await (
        await fetch(`${waitingRoom}/join`, { method: 'POST', headers: { 'x-session-id': session } })
      ).json();
      expect(joined.status.state).toBe('admitted');
      return { session, token: joined.token as string, access: joined.status.accessToken as string };
    };
    const leave = (v: { session: string; token: string }) =>
      fetch(`${waitingRoom}/token`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${v.token}`, 'x-session-id': v.session },
      });
    const enter = (v: { session: string; access: string }) =>
      fetch(`${zoneUrl}/checkout/${showId}?access=${v.access}`, { headers: { 'x-session-id': v.session } });

    // Left before entering: the access token no longer opens a visit.
    const a = await admitted(1);
    expect((await leave(a)).status).toBe(200);
    const refused = await enter(a);
    expect(refused.status).toBe(410);
    expect((await refused.json()).message).toMatch(/gave up your place|join again/);
    expect(await sql('SELECT * FROM reserve_seat.visits WHERE show_id = $1', [showId])).toEqual([]);

    // Entered, then left: no hold with the visit it had opened.
    const b = await admitted(2);
    const entered = await enter(b);
    expect(entered.status).toBe(200);
    const pass = (await entered.json()).zoneToken;
    expect((await leave(b)).status).toBe(200);
    const hold = await fetch(`${zoneUrl}/checkout/api/shows/${showId}/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${pass}`, 'x-session-id': b.session, 'content-type': 'application/json' },
      body: JSON.stringify({ seats: [{ seat: 'A1', ticketType: 'full' }] }),
    });
    expect(hold.status).toBe(410);
    expect(await sql('SELECT * FROM reserve_seat.orders WHERE show_id = $1', [showId])).toEqual([]);
  });
  it('tells a buyer whose visit ended with their order that the visit is over, not that they gave their place up', async () => {
    const showId = await addTestShow(db.url, { seats: 24 });
    const { url: zoneUrl } = await reserveSeatAt();
    const env = testEnv(db, redis.prefix, {
      TOKEN_SIGNING_KEYS,
      ADMIN_TOKEN,
      ADDRESS_TOKEN_CAP_MIN: '0',
      ADDRESS_TOKEN_CAP_SHARE: '0',
      ADDRESS_NEW_TOKEN_RATE: '0',
      STATUS_SNAPSHOT_MS: '0',
    });
    const tokens = createFunction(issueToken, env, captureLogs().stream);
    const bouncer = createFunction(admitBatch, env, captureLogs().stream);
    running.push(tokens, bouncer);
    await Promise.all([tokens.start(), bouncer.start()]);
    const waitingRoom = `http://127.0.0.1:${tokens.server.info.port}/waiting-room/api/shows/${showId}`;
    const session = `bought-session-${process.pid}-0001`;
    const joined = await (
      await fetch(`${waitingRoom}/join`, { method: 'POST', headers: { 'x-session-id': session } })
    ).json();
    const entered = await (
      await fetch(`${zoneUrl}/checkout/${showId}?access=${joined.status.accessToken}`, {
        headers: { 'x-session-id': session },
      })
    ).json();
    const headers = {
      authorization: `Bearer ${entered.zoneToken}`,
      'x-session-id': session,
      'content-type': 'application/json',
    };
    const hold = (seat: string) =>
      fetch(`${zoneUrl}/checkout/api/shows/${showId}/orders`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ seats: [{ seat, ticketType: 'full' }] }),
      });
    const order = await (await hold('A1')).json();
    expect(
      (
        await fetch(`${zoneUrl}/checkout/api/orders/${order.orderId}/payment`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ paymentToken: 'tok_visa' }),
        })
      ).status,
    ).toBe(202);
    await approveFirstPayment(zoneUrl, order.orderId, 5_000);
    // The bouncer hears of the order, as the broker delivers it: the waiting room is done with the visitor.
    const [confirmed] = await sql(
      "SELECT id, type, data FROM reserve_seat.outbox WHERE type = 'premiere.order.confirmed' AND data->>'orderId' = $1",
      [order.orderId],
    );
    const m = HTTP.binary(
      new CloudEvent({
        id: String(confirmed.id),
        type: confirmed.type,
        source: '/premiere/reserve-seat',
        data: confirmed.data,
      }),
    );
    const told = await fetch(`http://127.0.0.1:${bouncer.server.info.port}/events`, {
      method: 'POST',
      headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
      body: m.body as string,
    });
    expect(told.status).toBe(204);
    expect(
      (
        await (
          await fetch(`${waitingRoom}/status`, {
            headers: { authorization: `Bearer ${joined.token}`, 'x-session-id': session },
          })
        ).json()
      ).state,
    ).toBe('finished');

    const before = await recordOf(showId);
    const again = await hold('A2');
    expect(again.status).toBe(410);
    expect((await again.json()).message).toMatch(/visit is over \(your order is confirmed\)/);
    const back = await fetch(`${zoneUrl}/checkout/${showId}?access=${entered.zoneToken}`, {
      headers: { 'x-session-id': session },
    });
    expect(back.status).toBe(410);
    expect((await back.json()).message).toMatch(/visit is over \(your order is confirmed\)/);
    expect(await recordOf(showId)).toEqual(before);
  });
});

describe('one address holds a small share of a show’s seats unpaid', () => {
  it('refuses holds past an address’s share (429), counts only seats held unpaid, and other addresses are not affected', async () => {
    const showId = await addTestShow(db.url, { seats: 40 }); // share 0.1 of 40 = 4, but never below a visit's 6
    const { url } = await reserveSeatAt();
    const from = (address: string) => {
      const v = visitorOf(url, showId);
      const hold = async (...seats: string[]) => {
        const res = await fetch(`${url}/checkout/api/shows/${showId}/orders`, {
          method: 'POST',
          headers: { ...v.headers, 'x-client-address': address },
          body: JSON.stringify({ seats: seats.map((seat) => ({ seat, ticketType: 'full' })) }),
        });
        return { status: res.status, body: await res.json(), retryAfter: res.headers.get('retry-after') };
      };
      return { ...v, enter: v.enter, hold };
    };
    const [a, b, c, other] = [from('198.51.100.7'), from('198.51.100.7'), from('198.51.100.7'), from('203.0.113.9')];
    for (const v of [a, b, c, other]) expect((await v.enter()).status).toBe(200);
    const first = await a.hold('A1', 'A2', 'A3', 'A4');
    expect(first.status).toBe(201);
    const before = await recordOf(showId);
    const over = await b.hold('A5', 'A6', 'A7');
    expect(over.status).toBe(429);
    expect(over.body.message).toMatch(/held unpaid from your network/);
    expect(Number(over.retryAfter)).toBeGreaterThan(0);
    expect(await recordOf(showId)).toEqual(before);
    const second = await b.hold('A5', 'A6'); // 6: the share
    expect(second.status).toBe(201);
    expect((await other.hold('A11', 'A12', 'A13', 'A14', 'A15', 'A16')).status).toBe(201);
    // Given up, a's seats free the address's share.
    expect((await a.giveUp(first.body.orderId)).status).toBe(204);
    expect((await c.hold('A7', 'A8', 'A9', 'A10')).status).toBe(201);
    // Paid, b's seats no longer count: the address holds only c's 4 unpaid.
    const d = from('198.51.100.7');
    expect((await d.enter()).status).toBe(200);
    expect((await d.hold('A17')).status).toBe(429);
    expect((await b.pay(second.body.orderId)).status).toBe(202);
    expect((await d.hold('A17')).status).toBe(429); // paying is not paid
    await approveFirstPayment(url, second.body.orderId, 10_000);
    expect((await (await b.order(second.body.orderId)).json()).state).toBe('confirmed');
    expect((await d.hold('A17', 'A18')).status).toBe(201);
  });
});

describe('approvals of payments reserve-seat never asked for', () => {
  it('confirms nothing on an approval of an attempt never requested, another amount or currency, or another order’s payment: refund asked, acknowledged as not_requested', async () => {
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url, logs } = await reserveSeatAt();
    const v = visitorOf(url, showId);
    await v.enter();
    const { body: order } = await v.hold('A1', 'A2');
    const other = visitorOf(url, showId);
    await other.enter();
    const { body: notPaying } = await other.hold('A20');
    expect(notPaying.orderId).toBeDefined();
    expect((await v.pay(order.orderId)).status).toBe(202); // attempt 1: 10000 BRL

    const forged = [
      {
        orderId: order.orderId,
        paymentId: `${order.orderId}:7`,
        attempt: 7,
        amountCents: 10_000,
        currency: 'BRL',
        providerPaymentId: 'pay_test',
      }, // never requested
      {
        orderId: order.orderId,
        paymentId: `${order.orderId}:1`,
        attempt: 1,
        amountCents: 1,
        currency: 'BRL',
        providerPaymentId: 'pay_test',
      }, // a cent
      {
        orderId: order.orderId,
        paymentId: `${order.orderId}:1`,
        attempt: 1,
        amountCents: 10_000,
        currency: 'USD',
        providerPaymentId: 'pay_test',
      },
      {
        orderId: order.orderId,
        paymentId: `${notPaying.orderId}:1`,
        attempt: 1,
        amountCents: 10_000,
        currency: 'BRL',
        providerPaymentId: 'pay_test',
      }, // another order's id
      {
        orderId: notPaying.orderId,
        paymentId: `${notPaying.orderId}:1`,
        attempt: 1,
        amountCents: 5_000,
        currency: 'BRL',
        providerPaymentId: 'pay_test',
      }, // an order that never paid
    ];
    for (const data of forged) {
      const before = await recordOf(showId);
      const requests = await sql('SELECT * FROM reserve_seat.payment_requests ORDER BY order_id, attempt');
      expect((await deliver(url, 'premiere.payment.approved', data)).status).toBe(204);
      const after = await recordOf(showId);
      expect({ ...after, events: before.events }).toEqual(before); // no order moved, no claim, no ticket
      expect(await sql('SELECT * FROM reserve_seat.payment_requests ORDER BY order_id, attempt')).toEqual(requests);
      const sent = await sql('SELECT type, data FROM reserve_seat.outbox ORDER BY id DESC LIMIT $1', [
        after.events - before.events,
      ]);
      expect(sent.reverse()).toEqual([
        {
          type: 'premiere.refund.requested',
          data: {
            orderId: data.orderId,
            paymentId: data.paymentId,
            amountCents: data.amountCents,
            currency: data.currency,
            reason: expect.stringMatching(/not requested/),
          },
        },
        {
          type: 'premiere.payment.settled',
          data: { paymentId: data.paymentId, orderId: data.orderId, outcome: 'not_requested' },
        },
      ]);
      expect(logs.lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          orderId: data.orderId,
          paymentId: data.paymentId,
          msg: expect.stringMatching(/never requested/),
        }),
      );
    }
    expect(await legacyStatus(showId, 'A1')).toBe('held'); // not booked
    expect((await (await v.order(order.orderId)).json()).state).toBe('awaiting_payment');
    expect((await (await other.order(notPaying.orderId)).json()).state).toBe('pending_payment');

    // Nor does a rejection of an attempt never requested (it would let the buyer pay a second time
    // while the first payment is still with the provider), or a late one of an earlier attempt.
    const before = await recordOf(showId);
    expect(
      (
        await deliver(url, 'premiere.payment.rejected', {
          orderId: order.orderId,
          paymentId: `${order.orderId}:7`,
          attempt: 7,
          reason: 'declined',
        })
      ).status,
    ).toBe(204);
    expect((await (await v.order(order.orderId)).json()).state).toBe('awaiting_payment');
    expect(await recordOf(showId)).toEqual(before);
    expect((await other.pay(notPaying.orderId)).status).toBe(202);
    await deliver(url, 'premiere.payment.rejected', {
      orderId: notPaying.orderId,
      paymentId: `${notPaying.orderId}:1`,
      attempt: 1,
      reason: 'declined',
    });
    expect((await other.pay(notPaying.orderId)).status).toBe(202); // attempt 2
    await deliver(url, 'premiere.payment.rejected', {
      orderId: notPaying.orderId,
      paymentId: `${notPaying.orderId}:1`,
      attempt: 1,
      reason: 'declined',
    }); // again, late
    expect((await (await other.order(notPaying.orderId)).json()).state).toBe('awaiting_payment');
    expect((await other.pay(notPaying.orderId)).status).toBe(409);

    // The approval it did ask for confirms the order.
    await approveFirstPayment(url, order.orderId, 10_000);
    expect((await (await v.order(order.orderId)).json()).state).toBe('confirmed');
  });

  it('a forged payment request for a cent, charged by process-payment, gets no ticket: reserve-seat refuses the approval and process-payment refunds it', async () => {
    const PROVIDER = 'http://provider.security.test';
    const showId = await addTestShow(db.url, { seats: 40 });
    const { url } = await reserveSeatAt();
    const payments = createFunction(
      processPayment,
      testEnv(db, redis.prefix, {
        PAYMENT_PROVIDER_URL: PROVIDER,
        PAYMENT_TIMEOUT_MS: '500',
        PAYMENT_GIVE_UP_SECONDS: '3',
      }),
      captureLogs().stream,
    );
    running.push(payments);
    await payments.start();
    const paymentsUrl = `http://127.0.0.1:${payments.server.info.port}`;

    const v = visitorOf(url, showId);
    await v.enter();
    const { body: order } = await v.hold('A1', 'A2');
    // The attacker's request, straight to process-payment: attempt 7 of their own order, one cent.
    const paymentId = `${order.orderId}:7`;
    const charged = nock(PROVIDER)
      .post('/v1/payments', (b) => b.amount === 1)
      .once()
      .reply(201, { id: 'pay_cent', status: 'approved', decline_code: null, amount: 1, currency: 'BRL' });
    const forged = {
      paymentId,
      orderId: order.orderId,
      showId,
      attempt: 7,
      amountCents: 1,
      currency: 'BRL',
      paymentToken: 'tok_visa',
      holdExpiresAt: order.holdExpiresAt,
    };
    expect((await deliver(paymentsUrl, 'premiere.payment.requested', forged, '/premiere/reserve-seat')).status).toBe(
      204,
    );
    expect(charged.isDone()).toBe(true);

    // process-payment's approval reaches reserve-seat, as the broker would deliver it.
    const [approval] = await sql(
      "SELECT type, data FROM process_payment.outbox WHERE type = 'premiere.payment.approved' AND data->>'paymentId' = $1",
      [paymentId],
    );
    expect((await deliver(url, approval.type, approval.data)).status).toBe(204);
    expect((await (await v.order(order.orderId)).json()).state).toBe('pending_payment');
    expect(await legacyStatus(showId, 'A1')).toBe('held');
    expect((await recordOf(showId)).tickets).toBe(0);

    // And reserve-seat's answers reach process-payment: acknowledged, the cent refunded once.
    const refunded = nock(PROVIDER)
      .post('/v1/payments/pay_cent/refunds')
      .once()
      .reply(201, { id: 're_cent', payment_id: 'pay_cent', amount: 1, status: 'succeeded' });
    const answers = await sql(
      "SELECT type, data FROM reserve_seat.outbox WHERE type IN ('premiere.refund.requested', 'premiere.payment.settled') AND data->>'paymentId' = $1 ORDER BY id",
      [paymentId],
    );
    expect(answers.map((a) => a.type)).toEqual(['premiere.refund.requested', 'premiere.payment.settled']);
    for (const a of answers)
      expect((await deliver(paymentsUrl, a.type, a.data, '/premiere/reserve-seat')).status).toBe(204);
    expect(refunded.isDone()).toBe(true);
    expect(
      await sql(
        'SELECT state, order_settled_at IS NOT NULL AS acknowledged FROM process_payment.payments WHERE id = $1',
        [paymentId],
      ),
    ).toEqual([{ state: 'approved', acknowledged: true }]);
    expect(
      await sql('SELECT state, amount_cents FROM process_payment.refunds WHERE payment_id = $1', [paymentId]),
    ).toEqual([{ state: 'refunded', amount_cents: 1 }]);
  });
});

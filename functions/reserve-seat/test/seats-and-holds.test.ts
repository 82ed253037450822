import type Hapi from '@hapi/hapi';
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { CloudEvent, HTTP } from 'cloudevents';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import { sessionHash, TokenSigner } from '@premiere/contracts';
import { captureLogs, createTestDatabase, createTestRedisPrefix, eventAuthorization, testEnv, type TestDatabase, loadDemoCatalog, addTestShow, TEST_ADMIN_TOKEN as ADMIN_TOKEN, TEST_SIGNING_KEYS as TOKEN_SIGNING_KEYS } from '@premiere/testing';
import { catalogSeats, createLegacyCinema } from '@premiere/simulators';
import { paymentApproved, requestPayment } from '../src/payments';
import { cancelOrder, expireHolds, holdSeats as holdSeatsOf, OrderRefused } from '../src/orders';
import { reserveSeat } from '../src';

let db: TestDatabase;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];
let legacy: Hapi.Server;
let legacyUrl: string;

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
  const catalog = new pg.Pool({ connectionString: db.url, max: 2 });
  legacy = createLegacyCinema({
    port: 0,
    seatsOf: catalogSeats(catalog),
    latencyMs: [20, 60],
    concurrencyLimit: 5,
    holdSeconds: 120,
    overload: '503',
    stallMs: 0,
  });
  legacy.events.on('stop', () => void catalog.end());
  await legacy.start();
  legacyUrl = `http://127.0.0.1:${legacy.info.port}`;
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
  await legacy.stop();
  await db.drop();
  await redis.clean();
});

/** The visitor enters (their visit opens), as GET /checkout/<show> does. */
const enterVisit = (r: Awaited<ReturnType<typeof replica>>, input: { showId: string; visitor: number; sessionHash: string }) =>
  r.fn.deps.visits.open(input.showId, input.visitor, input.sessionHash);

/** Holds seats as the orders route does: for a visitor who has entered. */
async function holdSeats(r: Awaited<ReturnType<typeof replica>>, input: Parameters<typeof holdSeatsOf>[1]) {
  await enterVisit(r, input);
  return holdSeatsOf(r, input);
}

/** One reserve-seat process: its own pools and Redis connection, the shared bulkhead. */
async function replica(holdSeconds = 120, more: Record<string, string> = {}) {
  const env = { LEGACY_URL: legacyUrl, LEGACY_CONCURRENCY: '5', LEGACY_SLOT_WAIT_MS: '30000', TOKEN_SIGNING_KEYS, ADMIN_TOKEN, ...more };
  const fn = createFunction(reserveSeat, testEnv(db, redis.prefix, env), captureLogs().stream);
  running.push(fn);
  await fn.start();
  return { ...fn.deps.orders, holdSeconds, fn };
}

describe('holding seats', () => {
  it('never sells a seat twice: 200 buyers racing for 20 seats across two processes, the legacy system never above its limit', async () => {
    const showId = await addTestShow(db.url, { seats: 20 });
    const [a, b] = [await replica(), await replica()];
    await fetch(`${legacyUrl}/stats/reset`, { method: 'POST' });
    const seatNames = Array.from({ length: 20 }, (_, i) => `A${i + 1}`);
    // Everyone has entered before the race (the race is for seats, not for entering).
    for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, (_, j) => enterVisit(a, { showId, visitor: i + j + 1, sessionHash: `s${i + j}` })));
    const attempts = await Promise.all(
      Array.from({ length: 200 }, (_, i) => {
        const pick = [seatNames[(i * 7) % 20], seatNames[(i * 13 + 3) % 20]].filter((s, j, all) => all.indexOf(s) === j);
        return holdSeatsOf(i % 2 ? a : b, { showId, visitor: i + 1, sessionHash: `s${i}`, seats: pick.map((seat) => ({ seat, ticketType: 'full' as const })), extras: [] })
          .then((order) => ({ ok: true as const, order }))
          .catch((err) => ({ ok: false as const, err }));
      }),
    );
    const held = attempts.filter((x) => x.ok).flatMap((x) => (x.ok ? x.order.seats.map((s) => s.seat) : []));
    expect(new Set(held).size).toBe(held.length); // no seat in two orders
    expect(held.length).toBeGreaterThan(0);
    for (const x of attempts) if (!x.ok) expect(x.err).toBeInstanceOf(OrderRefused); // seats taken, nothing else

    // Our record and the legacy system agree: exactly the seats we hold are held there.
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const claims = (await c.query('SELECT seat FROM reserve_seat.seat_claims WHERE show_id = $1 ORDER BY seat', [showId])).rows.map((r) => r.seat);
    await c.end();
    expect(claims.sort()).toEqual([...held].sort());
    const there = (await (await fetch(`${legacyUrl}/shows/${showId}/seats`)).json()).seats.filter((s: { status: string }) => s.status === 'held').map((s: { seat: string }) => s.seat);
    expect(there.sort()).toEqual([...held].sort());
    const stats = await (await fetch(`${legacyUrl}/stats`)).json();
    expect(stats.max_concurrency).toBeLessThanOrEqual(5);
    expect(stats.rejected).toBe(0);
  });

  it('prices the order from the catalog (tickets by type, extras by quantity), whatever the client believes', async () => {
    const showId = await addTestShow(db.url, { seats: 20 }); // full 5000, half 2500, at Cine Paulista
    const r = await replica();
    const order = await holdSeats(r, {
      showId,
      visitor: 1,
      sessionHash: 's',
      seats: [{ seat: 'A1', ticketType: 'full' }, { seat: 'A2', ticketType: 'half' }],
      extras: [{ extraId: 'paulista-popcorn', quantity: 2 }],
    });
    expect(order).toMatchObject({ state: 'pending_payment', currency: 'BRL', totalCents: 5000 + 2500 + 2 * 2800 });
    expect(order.seats.map((s) => s.priceCents)).toEqual([5000, 2500]);
    expect(Date.parse(order.holdExpiresAt) - Date.now()).toBeGreaterThan(100_000);
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query('SELECT state, total_cents, hold_id FROM reserve_seat.orders WHERE id = $1', [order.orderId]);
    const trail = (await c.query('SELECT from_state, to_state, cause FROM reserve_seat.order_transitions WHERE order_id = $1', [order.orderId])).rows;
    await c.end();
    expect(rows[0]).toMatchObject({ state: 'pending_payment', total_cents: 13100 });
    expect(rows[0].hold_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(trail).toEqual([{ from_state: null, to_state: 'pending_payment', cause: 'seats held' }]);
  });

  it('refuses unknown shows, seats and extras, and changes nothing', async () => {
    const showId = await addTestShow(db.url, { seats: 5 });
    const r = await replica();
    const ask = (over: Partial<Parameters<typeof holdSeats>[1]>) =>
      holdSeats(r, { showId, visitor: 1, sessionHash: 's', seats: [{ seat: 'A1', ticketType: 'full' }], extras: [], ...over }).catch((e) => e);
    expect(await ask({ showId: 'no-such-show' })).toMatchObject({ status: 404 });
    expect(await ask({ seats: [{ seat: 'Z9', ticketType: 'full' }] })).toMatchObject({ status: 400, seats: ['Z9'] });
    expect(await ask({ extras: [{ extraId: 'copacabana-popcorn', quantity: 1 }] })).toMatchObject({ status: 400 }); // another cinema's
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query('SELECT count(*)::int AS n FROM reserve_seat.orders WHERE show_id = $1', [showId]);
    await c.end();
    expect(rows[0].n).toBe(0);
  });
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
const legacyStatus = async (showId: string, seat: string) =>
  (await (await fetch(`${legacyUrl}/shows/${showId}/seats`)).json()).seats.find((s: { seat: string }) => s.seat === seat).status;

describe('giving up and expiry', () => {
  it('frees the seats when the buyer gives up, here and in the legacy system, and tells the bouncer', async () => {
    const showId = await addTestShow(db.url, { seats: 5 });
    const r = await replica();
    const order = await holdSeats(r, { showId, visitor: 7, sessionHash: 'mine', seats: [{ seat: 'A1', ticketType: 'full' }, { seat: 'A2', ticketType: 'full' }], extras: [] });
    const [{ ends_at: visitEnd }] = await sql('SELECT ends_at FROM reserve_seat.visits WHERE show_id = $1 AND visitor = 7', [showId]);
    expect(await legacyStatus(showId, 'A1')).toBe('held');
    await expect(cancelOrder(r, order.orderId, 'someone-else')).rejects.toMatchObject({ status: 404 });
    await cancelOrder(r, order.orderId, 'mine');
    expect(await legacyStatus(showId, 'A1')).toBe('free');
    expect(await sql('SELECT state FROM reserve_seat.orders WHERE id = $1', [order.orderId])).toEqual([{ state: 'cancelled' }]);
    expect(await sql('SELECT seat FROM reserve_seat.seat_claims WHERE order_id = $1', [order.orderId])).toEqual([]);
    expect(await sql("SELECT type, data FROM reserve_seat.outbox WHERE subject IN ($1, $2) AND type <> 'premiere.show.availability.changed' ORDER BY id", [order.orderId, showId])).toEqual([
      // Entering kept the visitor's zone slot until the visit's end, holding seats until the hold's.
      { type: 'premiere.visitor.active', data: { showId, visitor: 7, until: visitEnd.toISOString() } },
      { type: 'premiere.visitor.active', data: { showId, visitor: 7, until: order.holdExpiresAt } },
      { type: 'premiere.hold.released', data: { showId, visitor: 7, orderId: order.orderId } },
      { type: 'premiere.seat.released', data: { showId, orderId: order.orderId, seats: ['A1', 'A2'] } },
    ]);
    await expect(cancelOrder(r, order.orderId, 'mine')).rejects.toMatchObject({ status: 409 });
    // The seats can be held again.
    await holdSeats(r, { showId, visitor: 8, sessionHash: 'next', seats: [{ seat: 'A1', ticketType: 'half' }], extras: [] });
  });

  it('expires holds that ran out, once, however many replicas sweep, and the seats can be held again', async () => {
    const showId = await addTestShow(db.url, { seats: 5 });
    const [a, b] = [await replica(2), await replica(2)];
    const order = await holdSeats(a, { showId, visitor: 3, sessionHash: 's', seats: [{ seat: 'A3', ticketType: 'full' }], extras: [] });
    expect(await expireHolds(a)).toBe(0); // not yet
    await new Promise((r) => setTimeout(r, 2_100));
    const swept = await Promise.all([expireHolds(a), expireHolds(b), expireHolds(a)]);
    expect(swept.reduce((x, y) => x + y, 0)).toBe(1);
    expect(await sql('SELECT state FROM reserve_seat.orders WHERE id = $1', [order.orderId])).toEqual([{ state: 'expired' }]);
    expect(await sql("SELECT from_state, to_state, cause FROM reserve_seat.order_transitions WHERE order_id = $1 AND to_state = 'expired'", [order.orderId])).toEqual([
      { from_state: 'pending_payment', to_state: 'expired', cause: 'the hold ran out' },
    ]);
    expect(await legacyStatus(showId, 'A3')).toBe('free');
    expect((await sql("SELECT type FROM reserve_seat.outbox WHERE subject = $1", [order.orderId])).map((r) => r.type)).toEqual(['premiere.hold.expired']);
    const again = await holdSeats(b, { showId, visitor: 4, sessionHash: 't', seats: [{ seat: 'A3', ticketType: 'full' }], extras: [] });
    expect(again.state).toBe('pending_payment');
  });
});

describe('the seat map', () => {
  it('shows the room by rows with each seat free, held or taken; ten buyers looking make one legacy call per replica', async () => {
    const showId = await addTestShow(db.url, { seats: 8 });
    const [a, b] = [await replica(), await replica()];
    await holdSeats(a, { showId, visitor: 1, sessionHash: 's', seats: [{ seat: 'A2', ticketType: 'full' }], extras: [] });
    const before = (await (await fetch(`${legacyUrl}/stats`)).json()).requests;
    const maps = [a.fn.deps.seatMaps, b.fn.deps.seatMaps];
    const views = await Promise.all(Array.from({ length: 10 }, (_, i) => maps[i % 2].of(showId)));
    const after = (await (await fetch(`${legacyUrl}/stats`)).json()).requests;
    expect(after - before).toBeLessThanOrEqual(2);
    for (const view of views) {
      expect(view!.rows).toHaveLength(1);
      expect(view!.rows[0].seats.map((s) => `${s.seat}:${s.status}`)).toEqual(['A1:free', 'A2:held', 'A3:free', 'A4:free', 'A5:free', 'A6:free', 'A7:free', 'A8:free']);
    }
    // Within the cache time, more looks cost nothing there.
    await maps[0].of(showId);
    expect((await (await fetch(`${legacyUrl}/stats`)).json()).requests).toBe(after);
    expect(await maps[0].of('no-such-show')).toBeNull();
  });

  it('builds the map once for readers who ask at the same time, and a read after a hold shows it', async () => {
    const showId = await addTestShow(db.url, { seats: 8 });
    const a = await replica();
    const maps = a.fn.deps.seatMaps;
    const together = await Promise.all(Array.from({ length: 20 }, () => maps.of(showId)));
    expect(new Set(together).size).toBe(1); // one build (one query) for all twenty
    await holdSeats(a, { showId, visitor: 1, sessionHash: 's', seats: [{ seat: 'A3', ticketType: 'full' }], extras: [] });
    expect((await maps.of(showId))!.rows[0].seats[2]).toMatchObject({ seat: 'A3', status: 'held' });
  });

  it('answers from the stale copy once the cache time is up while one replica asks the legacy system again', async () => {
    const showId = await addTestShow(db.url, { seats: 8 });
    const [a, b] = [await replica(120, { SEATMAP_CACHE_MS: '300' }), await replica(120, { SEATMAP_CACHE_MS: '300' })];
    const maps = [a.fn.deps.seatMaps, b.fn.deps.seatMaps];
    await maps[0].of(showId);
    await fetch(`${legacyUrl}/shows/${showId}/holds`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seats: ['A5'] }) });
    await new Promise((r) => setTimeout(r, 350));
    const before = (await (await fetch(`${legacyUrl}/stats`)).json()).requests;
    const stale = await Promise.all(Array.from({ length: 10 }, (_, i) => maps[i % 2].of(showId)));
    for (const view of stale) expect(view!.rows[0].seats[4]).toMatchObject({ seat: 'A5', status: 'free' }); // no reader waited
    await new Promise((r) => setTimeout(r, 150)); // the simulator answers in 20–60 ms
    expect((await (await fetch(`${legacyUrl}/stats`)).json()).requests - before).toBe(1);
    expect((await maps[1].of(showId))!.rows[0].seats[4]).toMatchObject({ seat: 'A5', status: 'held' });
  });
});

describe('the protected zone API', () => {
  const signer = new TokenSigner(JSON.parse(TOKEN_SIGNING_KEYS));
  const access = (showId: string, session: string, vid = 5, exp = Math.floor(Date.now() / 1000) + 60) =>
    signer.sign({ typ: 'access', show: showId, vid, place: vid, ses: sessionHash(session), iat: Math.floor(Date.now() / 1000), exp });

  async function enter(url: string, showId: string, session: string, vid = 5) {
    const res = await fetch(`${url}/checkout/${showId}?access=${access(showId, session, vid)}`, { headers: { 'x-session-id': session } });
    expect(res.status).toBe(200);
    return (await res.json()) as { zoneToken: string; seatMap: string; orders: string; zoneExpiresAt: string };
  }

  it('lets an admitted visitor in, shows the seat map, holds seats priced here, shows and cancels the order', async () => {
    const showId = await addTestShow(db.url, { seats: 6 });
    const { fn } = await replica();
    const url = `http://127.0.0.1:${fn.server.info.port}`;
    const session = 'api-session-0000000001';
    const zone = await enter(url, showId, session);
    const auth = { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session };
    expect(Date.parse(zone.zoneExpiresAt) - Date.now()).toBeGreaterThan(200_000);

    const map = await (await fetch(`${url}${zone.seatMap}`, { headers: auth })).json();
    expect(map.rows[0].seats.map((s: { seat: string }) => s.seat)).toEqual(['A1', 'A2', 'A3', 'A4', 'A5', 'A6']);
    expect(map.maxSeatsPerOrder).toBe(6);

    const created = await fetch(`${url}${zone.orders}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ seats: [{ seat: 'A1', ticketType: 'full', priceCents: 1 }, { seat: 'A2', ticketType: 'half' }], extras: [{ extraId: 'paulista-soda', quantity: 2 }], totalCents: 1 }),
    });
    expect(created.status).toBe(201);
    const order = await created.json();
    expect(order).toMatchObject({ state: 'pending_payment', totalCents: 5000 + 2500 + 2 * 1200 }); // the client's prices ignored
    expect(created.headers.get('location')).toBe(`/checkout/api/orders/${order.orderId}`);

    const seen = await (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers: auth })).json();
    expect(seen).toMatchObject({ orderId: order.orderId, showId, state: 'pending_payment', seats: [{ seat: 'A1', ticketType: 'full', priceCents: 5000 }, { seat: 'A2', ticketType: 'half', priceCents: 2500 }] });
    expect(seen.extras).toEqual([{ extraId: 'paulista-soda', name: expect.any(String), quantity: 2, priceCents: 2 * 1200 }]);
    expect(seen.sessionHash).toBeUndefined();

    // Someone else's session cannot see or cancel it.
    const other = await enter(url, showId, 'api-session-0000000002', 6);
    expect((await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers: { authorization: `Bearer ${other.zoneToken}`, 'x-session-id': 'api-session-0000000002' } })).status).toBe(404);

    expect((await fetch(`${url}/checkout/api/orders/${order.orderId}`, { method: 'DELETE', headers: auth })).status).toBe(204);
    expect((await (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers: auth })).json()).state).toBe('cancelled');
    expect((await fetch(`${url}/checkout/api/orders/${order.orderId}`, { method: 'DELETE', headers: auth })).status).toBe(409);
  });

  it('refuses anyone not admitted, and bad input, with 4xx saying what is wrong and nothing changed', async () => {
    const showId = await addTestShow(db.url, { seats: 6 });
    const { fn } = await replica();
    const url = `http://127.0.0.1:${fn.server.info.port}`;
    const session = 'api-session-0000000003';

    const none = await fetch(`${url}/checkout/${showId}`, { headers: { 'x-session-id': session } });
    expect(none.status).toBe(401);
    expect((await none.json()).message).toContain(`/waiting-room/${showId}`);
    const foreign = await fetch(`${url}/checkout/${showId}?access=${access(showId, 'somebody-else-session')}`, { headers: { 'x-session-id': session } });
    expect(foreign.status).toBe(403);
    expect((await foreign.json()).waitingRoom).toBe(`/waiting-room/${showId}`);
    const expired = await fetch(`${url}/checkout/${showId}?access=${access(showId, session, 5, Math.floor(Date.now() / 1000) - 1)}`, { headers: { 'x-session-id': session } });
    expect(expired.status).toBe(401);
    const otherShow = await fetch(`${url}/checkout/${showId}?access=${access('another-show', session)}`, { headers: { 'x-session-id': session } });
    expect(otherShow.status).toBe(403);
    expect((await fetch(`${url}/checkout/Bad_Id`)).status).toBe(400);

    const zone = await enter(url, showId, session);
    const post = (body: unknown, extra: Record<string, string> = {}) =>
      fetch(`${url}${zone.orders}`, { method: 'POST', headers: { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session, 'content-type': 'application/json', ...extra }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    const cases: [unknown, number, RegExp][] = [
      [{ seats: [] }, 400, /"seats" must contain at least 1/],
      [{ seats: Array.from({ length: 7 }, (_, i) => ({ seat: `A${i + 1}`, ticketType: 'full' })) }, 400, /"seats" must contain less than or equal to 6/],
      [{ seats: [{ seat: 'A1', ticketType: 'vip' }] }, 400, /"seats\[0\].ticketType" must be one of \[full, half\]/],
      [{ seats: [{ seat: 'A1', ticketType: 'full' }, { seat: 'A1', ticketType: 'half' }] }, 400, /duplicate value/],
      [{ seats: [{ seat: 'Z1', ticketType: 'full' }] }, 400, /no such seats in this room: Z1/],
      [{ seats: [{ seat: 'A1', ticketType: 'full' }], extras: [{ extraId: 'nope', quantity: 1 }] }, 400, /no extras nope/],
      ['{not json', 400, /Invalid request payload JSON format/],
      [{ seats: [{ seat: 'A1', ticketType: 'full' }], pad: 'x'.repeat(10_000) }, 413, /Payload content length greater than maximum allowed/],
    ];
    for (const [body, code, message] of cases) {
      const res = await post(body);
      expect([code, res.status]).toEqual([code, code]);
      expect((await res.json()).message).toMatch(message);
    }
    expect((await fetch(`${url}/checkout/api/orders/not-a-uuid`, { headers: { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session } })).status).toBe(400);
    expect((await fetch(`${url}/checkout/api/orders/${randomUUID()}`, { headers: { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session } })).status).toBe(404);
    expect(await sql('SELECT count(*)::int AS n FROM reserve_seat.orders WHERE show_id = $1', [showId])).toEqual([{ n: 0 }]);
  });

  it('tells the buyer kindly when the cinema’s system is busy', async () => {
    const showId = await addTestShow(db.url, { seats: 6 });
    const env = { LEGACY_URL: 'http://127.0.0.1:9', LEGACY_RETRIES: '0', TOKEN_SIGNING_KEYS, ADMIN_TOKEN };
    const fn = createFunction(reserveSeat, testEnv(db, redis.prefix, env), captureLogs().stream);
    running.push(fn);
    await fn.start();
    const url = `http://127.0.0.1:${fn.server.info.port}`;
    const session = 'api-session-0000000004';
    const zone = await enter(url, showId, session);
    const res = await fetch(`${url}${zone.seatMap}`, { headers: { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect((await res.json()).message).toBe("the cinema's system is busy, retrying: try again in a moment");
  });
});

describe('paying', () => {
  const signer = new TokenSigner(JSON.parse(TOKEN_SIGNING_KEYS));
  let n = 0;

  /** An admitted buyer in a fresh replica, holding two seats (and `extras`). */
  async function buyer(holdSeconds?: number, extras: { extraId: string; quantity: number }[] = []) {
    const showId = await addTestShow(db.url, { seats: 6 });
    const r = await replica();
    if (holdSeconds) r.fn.deps.orders.holdSeconds = holdSeconds;
    const url = `http://127.0.0.1:${r.fn.server.info.port}`;
    const session = `pay-session-${String(++n).padStart(10, '0')}`;
    const now = Math.floor(Date.now() / 1000);
    const access = signer.sign({ typ: 'access', show: showId, vid: 9, place: 9, ses: sessionHash(session), iat: now, exp: now + 60 });
    const zone = await (await fetch(`${url}/checkout/${showId}?access=${access}`, { headers: { 'x-session-id': session } })).json();
    const headers = { authorization: `Bearer ${zone.zoneToken}`, 'x-session-id': session, 'content-type': 'application/json' };
    const order = await (await fetch(`${url}${zone.orders}`, { method: 'POST', headers, body: JSON.stringify({ seats: [{ seat: 'A1', ticketType: 'full' }, { seat: 'A2', ticketType: 'full' }], extras }) })).json();
    const pay = (token = 'tok_visa') => fetch(`${url}/checkout/api/orders/${order.orderId}/payment`, { method: 'POST', headers, body: JSON.stringify({ paymentToken: token }) });
    const view = async () => (await fetch(`${url}/checkout/api/orders/${order.orderId}`, { headers })).json();
    let id = 0;
    const event = (type: string, data: Record<string, unknown>) => {
      const m = HTTP.binary(new CloudEvent({ id: `${order.orderId}-${++id}`, type, source: '/premiere/process-payment', data }));
      return fetch(`${url}/events`, { method: 'POST', headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('reserve-seat') }, body: m.body as string });
    };
    return { showId, order, pay, view, event, r, url };
  }

  it('gives the order’s extras with its first ticket (one code at the counter), and says so on the others', async () => {
    const { order, pay, view, event, url } = await buyer(undefined, [{ extraId: 'paulista-combo', quantity: 1 }, { extraId: 'paulista-popcorn', quantity: 2 }]);
    expect((await pay()).status).toBe(202);
    expect((await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, amountCents: order.totalCents, currency: 'BRL', providerPaymentId: 'pay_test' })).status).toBe(204);
    const [first, second] = (await view()).tickets as { seat: string; code: string; url: string }[];
    const data = async (code: string) => (await fetch(`${url}/checkout/api/tickets/${code}`)).json();
    const extras = [{ name: 'Combo pipoca + 2 refrigerantes', quantity: 1 }, { name: 'Pipoca grande', quantity: 2 }];
    expect((await data(first.code)).extras).toEqual({ seat: 'A1', items: expect.arrayContaining(extras) });
    expect((await data(second.code)).extras).toEqual({ seat: 'A1', items: expect.arrayContaining(extras) });
    const withThem = await (await fetch(`${url}${first.url}`)).text();
    expect(withThem).toContain('1 × Combo pipoca + 2 refrigerantes');
    expect(withThem).toContain('Retire no balcão mostrando este ingresso');
    const without = await (await fetch(`${url}${second.url}`)).text();
    expect(without).not.toContain('1 × Combo pipoca');
    expect(without).toContain('Os adicionais deste pedido estão no ingresso do assento A1');
  });

  it('asks process-payment to charge, books the seats on approval and issues a ticket per seat, once', async () => {
    const { showId, order, pay, view, event, url } = await buyer();
    const paying = await pay();
    expect(paying.status).toBe(202);
    expect(await paying.json()).toEqual({ orderId: order.orderId, state: 'awaiting_payment', paymentId: `${order.orderId}:1`, statusUrl: `/checkout/api/orders/${order.orderId}` });
    expect((await pay()).status).toBe(409); // already paying
    const [requested] = await sql("SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.payment.requested' AND subject = $1", [order.orderId]);
    expect(requested.data).toMatchObject({ paymentId: `${order.orderId}:1`, orderId: order.orderId, showId, amountCents: 10000, currency: 'BRL', paymentToken: 'tok_visa' });

    expect((await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' })).status).toBe(204);
    const confirmed = await view();
    expect(confirmed.state).toBe('confirmed');
    expect(confirmed.tickets.map((t: { seat: string }) => t.seat)).toEqual(['A1', 'A2']);
    expect(confirmed.tickets[0].code).toMatch(/^[2-9A-HJ-NP-Z]{10}$/);
    expect(confirmed.tickets[0].url).toBe(`/checkout/tickets/${confirmed.tickets[0].code}`);
    // The ticket's page and data: what, when, where, which seat (by its code, without the session).
    const ticket = await (await fetch(`${url}/checkout/api/tickets/${confirmed.tickets[0].code}`)).json();
    expect(ticket).toMatchObject({ code: confirmed.tickets[0].code, orderId: order.orderId, showId, movie: 'The Last Starfall', seat: 'A1', ticketType: 'full', cinema: { name: 'Cine Paulista' }, room: { name: 'Test room', roomType: 'regular' } });
    expect(ticket.localStartsAt).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    const ticketPage = await fetch(`${url}${confirmed.tickets[0].url}`);
    expect(ticketPage.status).toBe(200);
    const text = await ticketPage.text();
    // In Portuguese by default, at the cinema's local time.
    for (const part of ['The Last Starfall', 'Cine Paulista', '<dt>Assento</dt><dd class="seat-label">A1</dd>', confirmed.tickets[0].code, `, ${ticket.localStartsAt.slice(11)}</time>`]) expect(text).toContain(part);
    // Typed in small letters: the same ticket.
    expect((await fetch(`${url}/checkout/tickets/${confirmed.tickets[0].code.toLowerCase()}`)).status).toBe(200);
    expect((await fetch(`${url}/checkout/tickets/ABCDEFGHIJ`)).status).toBe(404);
    expect((await fetch(`${url}/checkout/api/tickets/ABCDEFGHIJ`)).status).toBe(404);
    const bad = await fetch(`${url}/checkout/api/tickets/nope`);
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/ticket code/);
    expect(await legacyStatus(showId, 'A1')).toBe('booked');
    const [done] = await sql("SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.order.confirmed' AND subject = $1", [order.orderId]);
    expect(done.data).toMatchObject({ orderId: order.orderId, showId, visitor: 9 });

    // The same approval again (a new delivery id, or process-payment announcing it again): nothing
    // changes, and it is acknowledged again, so process-payment stops announcing it.
    expect((await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' })).status).toBe(204);
    expect((await view()).tickets).toEqual(confirmed.tickets);
    const acks = await sql("SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.payment.settled' AND subject = $1 ORDER BY id", [order.orderId]);
    expect(acks.map((a) => a.data)).toEqual([
      { paymentId: `${order.orderId}:1`, orderId: order.orderId, outcome: 'confirmed' },
      { paymentId: `${order.orderId}:1`, orderId: order.orderId, outcome: 'settled_already' },
    ]);
  });

  it('goes back to pending payment on a rejection, with the reason, and lets the buyer pay again', async () => {
    const { order, pay, view, event } = await buyer();
    await pay('tok_decline');
    await event('premiere.payment.rejected', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, reason: 'declined' });
    expect(await view()).toMatchObject({ state: 'pending_payment', rejectionReason: 'declined' });
    const again = await (await pay()).json();
    expect(again.paymentId).toBe(`${order.orderId}:2`);
    expect((await view()).rejectionReason).toBeNull();
  });

  it('keeps an audit trail operators can read: every state with its cause and time, every payment attempt, the tickets', async () => {
    const { showId, order, pay, event, url } = await buyer();
    await pay('tok_decline');
    await event('premiere.payment.rejected', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, reason: 'declined' });
    await pay();
    await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:2`, attempt: 2, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' });
    const operator = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const res = await fetch(`${url}/checkout/admin/orders/${order.orderId}`, { headers: operator });
    expect(res.status).toBe(200);
    const history = await res.json();
    expect(history).toMatchObject({ orderId: order.orderId, showId, state: 'confirmed', totalCents: 10_000 });
    expect(history.transitions.map((t: { from: string | null; to: string; cause: string }) => [t.from, t.to, t.cause])).toEqual([
      [null, 'pending_payment', 'seats held'],
      ['pending_payment', 'awaiting_payment', 'payment 1 submitted'],
      ['awaiting_payment', 'pending_payment', `payment ${order.orderId}:1 rejected: declined`],
      ['pending_payment', 'awaiting_payment', 'payment 2 submitted'],
      ['awaiting_payment', 'confirmed', `payment ${order.orderId}:2 approved`],
    ]);
    for (const t of history.transitions) expect(Date.parse(t.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(history.payments).toMatchObject([{ paymentId: `${order.orderId}:1`, outcome: 'rejected', reason: 'declined' }, { paymentId: `${order.orderId}:2`, outcome: 'approved' }]);
    expect(history.tickets.map((t: { seat: string }) => t.seat)).toEqual(['A1', 'A2']);
    // A show's orders, by state.
    const listed = await (await fetch(`${url}/checkout/admin/shows/${showId}/orders?state=confirmed`, { headers: operator })).json();
    expect(listed.orders).toMatchObject([{ orderId: order.orderId, state: 'confirmed' }]);
    expect((await (await fetch(`${url}/checkout/admin/shows/${showId}/orders?state=expired`, { headers: operator })).json()).orders).toEqual([]);
    // Operators only, and clear answers to bad requests.
    expect((await fetch(`${url}/checkout/admin/orders/${order.orderId}`)).status).toBe(400);
    expect((await fetch(`${url}/checkout/admin/orders/${order.orderId}`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${url}/checkout/admin/orders/${randomUUID()}`, { headers: operator })).status).toBe(404);
    const badState = await fetch(`${url}/checkout/admin/shows/${showId}/orders?state=paid`, { headers: operator });
    expect(badState.status).toBe(400);
    expect((await badState.json()).message).toMatch(/"state" must be one of/);
  });

  it('asks for a refund when a payment is approved after the hold ran out', async () => {
    const { order, pay, view, event, r } = await buyer(2);
    expect((await pay()).status).toBe(202);
    await new Promise((res) => setTimeout(res, 2_100));
    expect(await expireHolds(r)).toBeGreaterThanOrEqual(1); // (other tests' short holds too)
    expect((await view()).state).toBe('expired');
    await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' });
    expect((await view()).state).toBe('refund_required');
    const [refund] = await sql("SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.refund.requested' AND subject = $1", [order.orderId]);
    expect(refund.data).toMatchObject({ orderId: order.orderId, paymentId: `${order.orderId}:1`, amountCents: 10000 });

    // The refund request and the acknowledgement were both lost (process-payment down past the
    // broker's retries): process-payment announces the approval again, and the refund is asked again.
    await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' });
    const asked = await sql("SELECT type, data FROM reserve_seat.outbox WHERE type IN ('premiere.refund.requested', 'premiere.payment.settled') AND subject = $1 ORDER BY id", [order.orderId]);
    expect(asked.map((e) => [e.type, e.data.paymentId, e.data.outcome])).toEqual([
      ['premiere.refund.requested', `${order.orderId}:1`, undefined],
      ['premiere.payment.settled', `${order.orderId}:1`, 'seats_lost'],
      ['premiere.refund.requested', `${order.orderId}:1`, undefined],
      ['premiere.payment.settled', `${order.orderId}:1`, 'seats_lost'],
    ]);
  });

  it('leaves an order whose hold an approval has booked to that approval, even when its hold time runs out meanwhile', async () => {
    const { showId, order, pay, view, event, r } = await buyer(2);
    expect((await pay()).status).toBe(202);
    // The approval has booked the hold in the legacy system (outside any transaction) and is about to confirm…
    const [{ hold_id: holdId }] = await sql('SELECT hold_id FROM reserve_seat.orders WHERE id = $1', [order.orderId]);
    expect((await fetch(`${legacyUrl}/holds/${holdId}/confirm`, { method: 'POST' })).status).toBe(200);
    // …when the sweep finds its hold time up: it must not free seats the legacy system has sold.
    await new Promise((res) => setTimeout(res, 2_100));
    await expireHolds(r);
    expect((await view()).state).toBe('awaiting_payment');
    expect((await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' })).status).toBe(204);
    expect((await view()).state).toBe('confirmed');
    expect(await legacyStatus(showId, 'A1')).toBe('booked');
  });

  it('gives back a second, different payment for an order already paid, and counts a late approval', async () => {
    const { order, pay, view, event } = await buyer();
    await pay('tok_timeout');
    await event('premiere.payment.rejected', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, reason: 'provider unavailable' });
    await pay();
    await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:2`, attempt: 2, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' });
    expect((await view()).state).toBe('confirmed');
    // The first attempt was charged after all, and says so late: refunded, the order stays confirmed.
    await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' });
    expect((await view()).state).toBe('confirmed');
    const refunds = await sql("SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.refund.requested' AND subject = $1", [order.orderId]);
    expect(refunds.map((r) => r.data)).toEqual([expect.objectContaining({ paymentId: `${order.orderId}:1`, reason: 'the order was already paid' })]);
    // Acknowledged as paid twice: process-payment owes the refund even if the request is lost.
    const [ack] = await sql("SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.payment.settled' AND data->>'paymentId' = $1", [`${order.orderId}:1`]);
    expect(ack.data.outcome).toBe('paid_twice');
    // The approval that paid the order, announced again (its acknowledgement was lost): nothing to
    // give back, though another payment of the order was approved too.
    await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:2`, attempt: 2, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' });
    expect((await view()).state).toBe('confirmed');
    const asked = await sql("SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.refund.requested' AND subject = $1", [order.orderId]);
    expect(asked.map((r) => r.data.paymentId)).toEqual([`${order.orderId}:1`]);
    const acks = await sql("SELECT data FROM reserve_seat.outbox WHERE type = 'premiere.payment.settled' AND data->>'paymentId' = $1 ORDER BY id", [`${order.orderId}:2`]);
    expect(acks.map((a) => a.data.outcome)).toEqual(['confirmed', 'settled_already']);
  });

  it('confirms an order whose approval arrives after its attempt was rejected', async () => {
    const { order, pay, view, event } = await buyer();
    await pay();
    await event('premiere.payment.rejected', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, reason: 'provider unavailable' });
    await event('premiere.payment.approved', { orderId: order.orderId, paymentId: `${order.orderId}:1`, attempt: 1, amountCents: 10_000, currency: 'BRL', providerPaymentId: 'pay_test' });
    expect((await view()).state).toBe('confirmed');
  });

  it('refuses a malformed payment event and a bad payment request, changing nothing', async () => {
    const { order, pay, view, event } = await buyer();
    expect((await event('premiere.payment.approved', { orderId: 'nope' })).status).toBe(400);
    const badId = await event('premiere.payment.approved', { orderId: order.orderId, paymentId: 'pay-1' });
    expect(badId.status).toBe(400);
    expect((await badId.json()).error).toContain('"paymentId" must be "<order id>:<attempt>"');
    expect((await pay('no spaces allowed')).status).toBe(400);
    expect((await view()).state).toBe('pending_payment');
  });
});

describe('availability for the catalog and the line', () => {
  it('lists a show few left / sold out as its seats are held, back when they are freed, and tells the line when all are sold', async () => {
    const showId = await addTestShow(db.url, { seats: 3 });
    const r = await replica();
    const redisOf = r.fn.ctx.redis;
    // The show has a waiting room (made by issue-token on first join; a bare one is enough here).
    await redisOf.hset(`{show:${showId}}:room`, { quota: 3, seatsSoldOut: 0 });
    const availability = () => redisOf.get(`{show:${showId}}:seat-availability`);
    const events = async () => (await sql("SELECT data->>'availability' AS a FROM reserve_seat.outbox WHERE type = 'premiere.show.availability.changed' AND subject = $1 ORDER BY id", [showId])).map((x) => x.a);

    const first = await holdSeats(r, { showId, visitor: 1, sessionHash: 'a', seats: [{ seat: 'A1', ticketType: 'full' }], extras: [] });
    expect(await availability()).toBe('available');
    const second = await holdSeats(r, { showId, visitor: 2, sessionHash: 'b', seats: [{ seat: 'A2', ticketType: 'full' }, { seat: 'A3', ticketType: 'full' }], extras: [] });
    expect(await availability()).toBe('sold_out');
    expect(await redisOf.hget(`{show:${showId}}:room`, 'seatsSoldOut')).toBe('0'); // held, not sold: holds may lapse
    expect(await redisOf.hget(`{show:${showId}}:room`, 'seatsFree')).toBe('0');
    expect(await redisOf.hget(`{show:${showId}}:room`, 'seatsPerOrder')).toBe('1.5'); // the line's estimates use it
    await cancelOrder(r, second.orderId, 'b');
    expect(await redisOf.hget(`{show:${showId}}:room`, 'seatsFree')).toBe('2');
    expect(await availability()).toBe('available');
    expect(await events()).toEqual(['available', 'sold_out', 'available']);

    // Everything sold: the line is told.
    const rest = await holdSeats(r, { showId, visitor: 3, sessionHash: 'c', seats: [{ seat: 'A2', ticketType: 'full' }, { seat: 'A3', ticketType: 'full' }], extras: [] });
    for (const o of [first, rest]) {
      await r.fn.ctx.transaction(async (tx) => {
        await requestPayment(tx, r.fn.ctx.log, o.orderId, 'tok_visa');
      });
      await paymentApproved(r.fn.deps.orders, r.fn.ctx.log, { orderId: o.orderId, paymentId: `${o.orderId}:1`, amountCents: o.totalCents, currency: o.currency });
    }
    expect(await redisOf.hget(`{show:${showId}}:room`, 'seatsSoldOut')).toBe('1');
    expect(await availability()).toBe('sold_out');
  });
});

describe('the pages', () => {
  it('gives a browser the seat selection page on entry and the order page; one not admitted is sent back to the waiting room', async () => {
    const showId = await addTestShow(db.url, { seats: 6 });
    const { fn } = await replica();
    const url = `http://127.0.0.1:${fn.server.info.port}`;
    const session = 'page-session-0000000001';
    const now = Math.floor(Date.now() / 1000);
    const access = new TokenSigner(JSON.parse(TOKEN_SIGNING_KEYS)).sign({ typ: 'access', show: showId, vid: 2, place: 2, ses: sessionHash(session), iat: now, exp: now + 60 });
    const browser = { accept: 'text/html,application/xhtml+xml', cookie: `premiere_session=${session}`, 'accept-language': 'en' };
    const entry = await fetch(`${url}/checkout/${showId}?access=${access}`, { headers: browser });
    expect(entry.status).toBe(200);
    expect(entry.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(entry.headers.get('set-cookie')).toMatch(/^premiere_zone=[^;]+; .*HttpOnly.*Path=\/checkout/);
    // Secure by the rule of every cookie of ours: over https as the edge says (here, plain http).
    expect(entry.headers.get('set-cookie')).not.toMatch(/; Secure(;|$)/);
    const overHttps = await fetch(`${url}/checkout/${showId}?access=${access}`, { headers: { ...browser, 'x-forwarded-proto': 'https' } });
    expect(overHttps.headers.get('set-cookie')).toMatch(/^premiere_zone=[^;]+; .*; Secure(;|$)/);
    const body = await entry.text();
    expect(body).toContain('<h1 class="show-title">The Last Starfall</h1>');
    expect(body).toContain('<h2>Choose your seats</h2>');
    expect(body).toContain('Combo pipoca + 2 refrigerantes (R$45.00)');

    const refused = await fetch(`${url}/checkout/${showId}`, { headers: { accept: 'text/html', cookie: 'premiere_session=page-session-0000000009' } });
    expect(refused.status).toBe(401);
    const refusedPage = await refused.text();
    expect(refusedPage).toContain(`href="/waiting-room/${showId}"`);
    expect(refusedPage).toContain('<h1>Ainda não é a sua vez</h1>'); // Portuguese, without Accept-Language

    const order = await fetch(`${url}/checkout/orders/${randomUUID()}`, { headers: { 'accept-language': 'en' } });
    expect(await order.text()).toContain('<h1>Your order</h1>');
  });
});

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

let db: TestDatabase;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
});
afterEach(async () => {
  await running[0]?.ctx.redis.del('{legacy}:usage'); // one test's legacy load is not the next one's
  await Promise.all(running.splice(0).map((f) => f.stop()));
});
afterAll(async () => {
  await db.drop();
  await redis.clean();
});

const env = (extra: Record<string, string> = {}) =>
  testEnv(db, redis.prefix, {
    TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    // Every visitor here comes from one address (127.0.0.1): the per-address limits are issue-token's security.test.ts.
    ...NO_JOIN_LIMITS,
    ...extra,
  });

async function startBouncer(extra: Record<string, string> = {}) {
  const fn = createFunction(admitBatch, env(extra), captureLogs().stream);
  running.push(fn);
  await fn.start();
  return { fn, url: `http://127.0.0.1:${fn.server.info.port}` };
}

/** issue-token, its nudges delivered straight to a bouncer (as the broker's Triggers would). */
async function startIssueToken(bouncerUrl: string, extra: Record<string, string> = {}) {
  // Its nudges go straight to the bouncer, with the token the broker would present.
  const fn = createFunction(
    issueToken,
    env({
      K_SINK: `${bouncerUrl}/events`,
      EVENT_SINK_TOKEN_FILE: eventTokenFile('admit-batch'),
      STATUS_SNAPSHOT_MS: '0',
      ...extra,
    }),
    captureLogs().stream,
  );
  running.push(fn);
  await fn.start();
  return { fn, url: `http://127.0.0.1:${fn.server.info.port}` };
}

let n = 0;
const newSession = () => `bouncer-session-${process.pid}-${++n}-abcdef`;
async function join(url: string, showId: string) {
  const session = newSession();
  const res = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
    method: 'POST',
    headers: { 'x-session-id': session },
  });
  const body = await res.json();
  return {
    session,
    token: body.token as string,
    visitor: body.visitor as number,
    place: body.status?.place as number,
    state: body.status?.state as string,
  };
}
const status = async (url: string, showId: string, v: { token: string; session: string }) =>
  (
    await fetch(`${url}/waiting-room/api/shows/${showId}/status`, {
      headers: { authorization: `Bearer ${v.token}`, 'x-session-id': v.session },
    })
  ).json();

let eventId = 0;
function event(url: string, type: string, data: Record<string, unknown>, time = new Date()) {
  const m = HTTP.binary(
    new CloudEvent({
      id: `e-${process.pid}-${++eventId}`,
      type,
      source: '/premiere/test',
      time: time.toISOString(),
      data,
    }),
  );
  return fetch(`${url}/events`, {
    method: 'POST',
    headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
    body: m.body as string,
  });
}
const ping = (url: string, schedule: string) => event(url, 'dev.knative.sources.ping', { schedule });
const admin = (url: string, method: string, path: string, body?: unknown, token = TEST_ADMIN_TOKEN) =>
  fetch(`${url}/admin/api/shows${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

/** Who is in the zone now: visitor numbers with their places. */
async function inside(fn: RunningFunction, showId: string): Promise<{ visitor: number; place: number }[]> {
  const { inside: insideKey, visitorPrefix } = roomKeys(showId);
  const visitors = await fn.ctx.redis.zrange(insideKey, 0, -1);
  return Promise.all(
    visitors.map(async (v) => ({
      visitor: Number(v),
      place: Number(await fn.ctx.redis.hget(`${visitorPrefix}${v}`, 'place')),
    })),
  );
}

describe('the bouncer', () => {
  it('admits 2,000 concurrent joiners strictly in the order of their places, never more than the zone holds', async () => {
    const bouncer = await startBouncer();
    const { url } = await startIssueToken('http://127.0.0.1:9');
    const showId = await addTestShow(db.url, { seats: 1000, overbooking: 1 });
    const joined = await Promise.all(Array.from({ length: 2000 }, () => join(url, showId)));
    const places = joined.map((j) => j.place).sort((a, b) => a - b);
    expect(places).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    expect((await admin(bouncer.url, 'PATCH', `/${showId}`, { capacity: 100 })).status).toBe(200);

    const admittedOrder: number[] = [];
    for (let round = 0; admittedOrder.length < 2000; round++) {
      const now = await inside(bouncer.fn, showId);
      expect(now.length).toBeLessThanOrEqual(100);
      const batch = now.map((v) => v.place).sort((a, b) => a - b);
      admittedOrder.push(...batch);
      // Everyone in the zone finishes; one event per visitor, as reserve-seat will send them.
      await Promise.all(
        now.map((v) =>
          event(bouncer.url, 'premiere.order.confirmed', {
            showId,
            visitor: v.visitor,
            orderId: randomUUID(),
            tickets: [],
          }),
        ),
      );
      expect(round).toBeLessThan(40);
    }
    expect(admittedOrder).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
  });

  it('never exceeds the zone’s capacity with three bouncers triggered at once, and skips nobody', async () => {
    const bouncers = await Promise.all([startBouncer(), startBouncer(), startBouncer()]);
    const { url } = await startIssueToken('http://127.0.0.1:9');
    const showId = await addTestShow(db.url, { seats: 300, zoneCapacity: 7 });
    const joined = await Promise.all(Array.from({ length: 300 }, () => join(url, showId)));
    const [fn] = [bouncers[0].fn];
    let highest = 0;
    const watch = setInterval(() => {
      void fn.ctx.redis.zcard(roomKeys(showId).inside).then((c) => {
        highest = Math.max(highest, c);
      });
    }, 2);
    const admitted = new Set<number>();
    try {
      while (admitted.size < 300) {
        const now = await inside(fn, showId);
        for (const v of now) admitted.add(v.place);
        // Every place admitted so far is a prefix of the line: nobody was skipped.
        expect(Math.max(...admitted)).toBe(admitted.size);
        // Finish a few at random, and trigger all three bouncers several times at once.
        const leaving = now.filter(() => Math.random() < 0.6);
        await Promise.all([
          ...leaving.map((v, i) =>
            event(bouncers[i % 3].url, 'premiere.hold.expired', { showId, visitor: v.visitor, orderId: randomUUID() }),
          ),
          ...bouncers.flatMap((b) => [
            event(b.url, 'premiere.visitors.waiting', { showId }),
            event(b.url, 'premiere.visitors.waiting', { showId }),
          ]),
        ]);
        expect(await fn.ctx.redis.zcard(roomKeys(showId).inside)).toBeLessThanOrEqual(7);
      }
    } finally {
      clearInterval(watch);
    }
    expect(highest).toBeLessThanOrEqual(7);
    expect(highest).toBe(7);
    expect(joined).toHaveLength(300);
  });

  it('admits the next visitor within a second of a slot freeing, and admits a joiner at once when nobody waits', async () => {
    const bouncer = await startBouncer();
    const { url } = await startIssueToken(bouncer.url);
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 2 });
    const first = await join(url, showId);
    expect(first.state).toBe('admitted'); // a quiet day: no queue at all
    const second = await join(url, showId);
    const third = await join(url, showId);
    expect([second.state, third.state]).toEqual(['admitted', 'waiting']);
    const freedAt = Date.now();
    const res = await event(bouncer.url, 'premiere.hold.released', {
      showId,
      visitor: first.visitor,
      orderId: randomUUID(),
    });
    expect(res.status).toBe(204);
    const s = await status(url, showId, third);
    expect(s.state).toBe('admitted');
    expect(Date.now() - freedAt).toBeLessThan(1_000);
    // A redelivery of the same finish changes nothing.
    expect((await inside(bouncer.fn, showId)).map((v) => v.place).sort()).toEqual([2, 3]);
    const metrics = await (await fetch(`${bouncer.url}/metrics`)).text();
    expect(metrics).toMatch(/premiere_admission_lag_seconds_count \d+/);
    expect(metrics).toContain(`premiere_admissions_total{show="${showId}"}`);
  });

  it('estimates waits from how long visits take, measured from the first visit that ends (or is left)', async () => {
    const bouncer = await startBouncer();
    const { url } = await startIssueToken(bouncer.url, { ESTIMATE_VISIT_SECONDS: '600' });
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 2 });
    const [a, b] = [await join(url, showId), await join(url, showId)];
    const line = [await join(url, showId), await join(url, showId), await join(url, showId)];
    // Unmeasured: the assumed 600 s visit; both slots free in 600 s, and the third in line (2
    // ahead) waits for a slot's second visit to end.
    expect((await status(url, showId, line[2])).estimatedWaitSeconds).toBe(2 * 600);
    await new Promise((r) => setTimeout(r, 400));
    expect(
      (
        await event(bouncer.url, 'premiere.order.confirmed', {
          showId,
          visitor: a.visitor,
          orderId: randomUUID(),
          tickets: [],
        })
      ).status,
    ).toBe(204);
    // One visit of about 0.4 s over 2 slots: 0.2 s per admission.
    const measured = await status(url, showId, line[2]);
    expect(measured).toMatchObject({ state: 'waiting', ahead: 1 });
    expect(measured.estimatedWaitSeconds).toBeLessThanOrEqual(3);
    const room = await bouncer.fn.ctx.redis.hget(roomKeys(showId).room, 'visitMs');
    expect(Number(room)).toBeGreaterThanOrEqual(400);
    expect(Number(room)).toBeLessThan(5_000);
    // Leaving the zone ends a visit too (a buyer who found no seats): a longer one here.
    await new Promise((r) => setTimeout(r, 500));
    expect(
      (
        await fetch(`${url}/waiting-room/api/shows/${showId}/token`, {
          method: 'DELETE',
          headers: { authorization: `Bearer ${b.token}`, 'x-session-id': b.session },
        })
      ).status,
    ).toBeLessThan(300);
    expect(Number(await bouncer.fn.ctx.redis.hget(roomKeys(showId).room, 'visitMs'))).toBeGreaterThan(
      Number(room) + 50,
    ); // a moving average: a fifth of the new visit
  });

  it('sizes the zone to keep the legacy system busy to its limit: more while it idles and people wait, fewer when buyers wait for it', async () => {
    const bouncer = await startBouncer({ ZONE_CAPACITY_ADAPTIVE: 'true', ZONE_CAPACITY_MAX: '4' });
    const { url } = await startIssueToken('http://127.0.0.1:9');
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 2 });
    for (let i = 0; i < 8; i++) await join(url, showId);
    const { redis } = bouncer.fn.ctx;
    const { room } = roomKeys(showId);
    // What reserve-seat's bulkhead writes: the legacy system's usage, for the whole deployment.
    const usage = { busyMs: 0, waitedMs: 0, calls: 0, full: 0 };
    const report = () => redis.hset('{legacy}:usage', { limit: 10, ...usage });
    /** An admission pass as if `seconds` had gone by since the last sizing. */
    const pass = async (seconds: number) => {
      const at = await redis.hget(room, 'adaptAt');
      if (at) await redis.hset(room, 'adaptAt', Number(at) - seconds * 1000);
      expect((await event(bouncer.url, 'premiere.visitors.waiting', { showId })).status).toBe(204);
      return {
        capacity: Number(await redis.hget(room, 'capacity')),
        inside: (await inside(bouncer.fn, showId)).length,
      };
    };
    await report();
    expect(await pass(0)).toEqual({ capacity: 2, inside: 2 }); // first look: measured from now
    // 4 s with the legacy system busy 10% of its limit, the zone full, people waiting: it grows.
    usage.busyMs += 4_000;
    usage.calls += 4;
    await report();
    expect(await pass(4)).toEqual({ capacity: 3, inside: 3 });
    // Looked at less than the interval ago: nothing changes.
    usage.busyMs += 100;
    await report();
    expect(await pass(0)).toEqual({ capacity: 3, inside: 3 });
    // Passes mostly run as a visitor leaves, the zone one short just then: still more wait than fit.
    usage.busyMs += 4_000;
    await report();
    await redis.hset(room, 'adaptAt', Number(await redis.hget(room, 'adaptAt')) - 4_000);
    const leaving = (await inside(bouncer.fn, showId))[0];
    expect(
      (
        await event(bouncer.url, 'premiere.order.confirmed', {
          showId,
          visitor: leaving.visitor,
          orderId: randomUUID(),
          tickets: [],
        })
      ).status,
    ).toBe(204);
    expect({
      capacity: Number(await redis.hget(room, 'capacity')),
      inside: (await inside(bouncer.fn, showId)).length,
    }).toEqual({ capacity: 4, inside: 4 });
    usage.busyMs += 1_000;
    await report();
    expect(await pass(4)).toEqual({ capacity: 4, inside: 4 }); // ZONE_CAPACITY_MAX
    expect(await (await admin(bouncer.url, 'GET', `/${showId}`)).json()).toMatchObject({
      capacity: 4,
      capacityAdaptive: true,
      capacityBase: 2,
    });
    // Buyers waited 3 s on average for a legacy slot: it shrinks (never below the catalog's 2).
    usage.waitedMs += 30_000;
    usage.calls += 10;
    await report();
    expect((await pass(4)).capacity).toBe(3);
    usage.full += 1; // a buyer gave up waiting
    await report();
    expect((await pass(4)).capacity).toBe(2);
    usage.full += 1;
    await report();
    expect((await pass(4)).capacity).toBe(2);
    // An operator's capacity is fixed; "adaptive" gives the zone back to the bouncer.
    expect(await (await admin(bouncer.url, 'PATCH', `/${showId}`, { capacity: 3 })).json()).toMatchObject({
      capacity: 3,
      capacityAdaptive: false,
    });
    usage.busyMs += 1_000;
    await report();
    expect((await pass(4)).capacity).toBe(3);
    // Given back, it is sized at once (the operator's action runs an admission pass): the legacy system idled meanwhile.
    expect(await (await admin(bouncer.url, 'PATCH', `/${showId}`, { adaptive: true })).json()).toMatchObject({
      capacity: 4,
      capacityAdaptive: true,
      capacityBase: 2,
    });
    const refused = await admin(bouncer.url, 'PATCH', `/${showId}`, { adaptive: 'sometimes' });
    expect(refused.status).toBe(400);
    expect((await refused.json()).message).toMatch(/"adaptive" must be a boolean/);
    expect(await (await fetch(`${bouncer.url}/metrics`)).text()).toContain(
      `premiere_zone_capacity{show="${showId}"} 4`,
    );
  });

  it('leaves the zone as the catalog sized it when ZONE_CAPACITY_ADAPTIVE is off (the default)', async () => {
    const bouncer = await startBouncer();
    const { url } = await startIssueToken('http://127.0.0.1:9');
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 2 });
    for (let i = 0; i < 4; i++) await join(url, showId);
    await bouncer.fn.ctx.redis.hset('{legacy}:usage', { limit: 10, busyMs: 0, waitedMs: 0, calls: 0, full: 0 });
    expect((await event(bouncer.url, 'premiere.visitors.waiting', { showId })).status).toBe(204);
    await bouncer.fn.ctx.redis.hset(roomKeys(showId).room, 'adaptAt', Date.now() - 10_000);
    expect((await event(bouncer.url, 'premiere.visitors.waiting', { showId })).status).toBe(204);
    expect(await bouncer.fn.ctx.redis.hget(roomKeys(showId).room, 'capacity')).toBe('2');
    expect((await (await admin(bouncer.url, 'GET', `/${showId}`)).json()).capacityAdaptive).toBe(false);
    const refused = await admin(bouncer.url, 'PATCH', `/${showId}`, { adaptive: true });
    expect(refused.status).toBe(409);
    expect((await refused.json()).message).toMatch(/ZONE_CAPACITY_ADAPTIVE is off/);
  });

  it('puts a sold-out show back on sale when a visit ends without an order, and not while every seat is sold', async () => {
    const bouncer = await startBouncer();
    const { url } = await startIssueToken(bouncer.url);
    const showId = await addTestShow(db.url, { seats: 2, overbooking: 0, zoneCapacity: 5 });
    const [a, b] = [await join(url, showId), await join(url, showId)];
    const late = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': newSession() },
    });
    expect(late.status).toBe(410);
    // The first visitor's hold ran out: their token comes back (the quota stays), the listing with it.
    const { room, availability } = roomKeys(showId);
    expect(await bouncer.fn.ctx.redis.get(availability)).toBe('sold_out');
    expect(
      (await event(bouncer.url, 'premiere.hold.expired', { showId, visitor: a.visitor, orderId: randomUUID() })).status,
    ).toBe(204);
    expect(await bouncer.fn.ctx.redis.hmget(room, 'quota', 'issued', 'returned')).toEqual(['2', '2', '1']);
    expect(await bouncer.fn.ctx.redis.get(availability)).toBe('few_left');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const { rows: changed } = await c.query(
      "SELECT data FROM admit_batch.outbox WHERE type = 'premiere.show.availability.changed' AND subject = $1",
      [showId],
    );
    await c.end();
    expect(changed.map((r) => r.data)).toEqual([{ showId, availability: 'few_left' }]);
    const again = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': newSession() },
    });
    expect(again.status).toBe(201);
    // Every seat sold (reserve-seat says so): a token coming back does not reopen the show.
    await bouncer.fn.ctx.redis.hset(room, 'seatsSoldOut', 1);
    expect(
      (await event(bouncer.url, 'premiere.hold.released', { showId, visitor: b.visitor, orderId: randomUUID() }))
        .status,
    ).toBe(204);
    expect(await bouncer.fn.ctx.redis.get(availability)).toBe('sold_out');
    expect(
      (
        await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
          method: 'POST',
          headers: { 'x-session-id': newSession() },
        })
      ).status,
    ).toBe(410);
  });

  it('reclaims admissions not used in time and passes over visitors who stopped polling; the visitors’ own polls nudge the bouncer', async () => {
    const bouncer = await startBouncer({ ADMISSION_TTL_SECONDS: '1', GONE_AFTER_SECONDS: '2' });
    const { url } = await startIssueToken(bouncer.url, { ADMISSION_TTL_SECONDS: '1', GONE_AFTER_SECONDS: '2' });
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 1 });
    const a = await join(url, showId); // admitted, never shows up
    const b = await join(url, showId); // waits and polls
    const c = await join(url, showId); // waits, but closes the tab
    const d = await join(url, showId); // waits and polls
    expect([a.state, b.state, c.state, d.state]).toEqual(['admitted', 'waiting', 'waiting', 'waiting']);

    // a's admission runs out; b's own poll sees the lapsed slot and nudges the bouncer.
    await new Promise((r) => setTimeout(r, 1_100));
    await status(url, showId, b);
    const admittedB = await eventually(async () => {
      const s = await status(url, showId, b);
      expect(s.state).toBe('admitted');
      return s;
    });
    expect((await status(url, showId, a)).state).toBe('expired');

    // b does not come either. d polls while b's slot is still valid (no nudge); c never polls again.
    const bDeadline = Date.parse(admittedB.admissionDeadline);
    await new Promise((r) => setTimeout(r, Math.max(0, bDeadline - Date.now() - 300)));
    expect((await status(url, showId, d)).state).toBe('waiting');
    await new Promise((r) => setTimeout(r, Math.max(0, bDeadline - Date.now() + 250)));
    // The safety net alone (no nudges): the schedule's pass.
    expect((await ping(bouncer.url, 'admission-sweep')).status).toBe(204);
    expect((await status(url, showId, d)).state).toBe('admitted');
    expect((await status(url, showId, c)).state).toBe('left');
    expect((await status(url, showId, b)).state).toBe('expired');
    const metrics = await (await fetch(`${bouncer.url}/metrics`)).text();
    expect(metrics).toContain(`premiere_visitors_passed_over_total{show="${showId}"} 1`);
  });

  it('keeps a slot while reserve-seat says the visitor is active, and frees it when they finish', async () => {
    const bouncer = await startBouncer({ ADMISSION_TTL_SECONDS: '1' });
    const { url } = await startIssueToken('http://127.0.0.1:9', { ADMISSION_TTL_SECONDS: '1' });
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 1 });
    const a = await join(url, showId);
    const b = await join(url, showId);
    await event(bouncer.url, 'premiere.visitor.active', {
      showId,
      visitor: a.visitor,
      until: new Date(Date.now() + 60_000).toISOString(),
    });
    await new Promise((r) => setTimeout(r, 1_100));
    await ping(bouncer.url, 'admission-sweep');
    expect((await inside(bouncer.fn, showId)).map((v) => v.visitor)).toEqual([a.visitor]);
    await event(bouncer.url, 'premiere.order.confirmed', {
      showId,
      visitor: a.visitor,
      orderId: randomUUID(),
      tickets: [],
    });
    expect((await inside(bouncer.fn, showId)).map((v) => v.visitor)).toEqual([b.visitor]);
    expect((await status(url, showId, a)).state).toBe('finished');
  });

  it('lets a visitor whose visit is over join again, at the back of the line (reserve-seat sends them there to buy more)', async () => {
    const bouncer = await startBouncer();
    const { url } = await startIssueToken(bouncer.url);
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 1 });
    const a = await join(url, showId);
    const b = await join(url, showId);
    await event(bouncer.url, 'premiere.hold.released', { showId, visitor: a.visitor, orderId: randomUUID() });
    expect((await status(url, showId, a)).state).toBe('finished');
    const again = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': a.session },
    });
    expect(again.status).toBe(201);
    const body = await again.json();
    expect(body.visitor).toBeGreaterThan(b.visitor);
    expect(body.status).toMatchObject({ state: 'waiting', ahead: 0 }); // b is inside now; a waits behind
  });
});

describe('operators', () => {
  it('pause, resume, drain and a live capacity change; every action recorded', async () => {
    const bouncer = await startBouncer();
    const { url } = await startIssueToken(bouncer.url);
    const showId = await addTestShow(db.url, { seats: 40, zoneCapacity: 2 });
    const visitors = [];
    for (let i = 0; i < 6; i++) visitors.push(await join(url, showId));

    expect((await admin(bouncer.url, 'POST', `/${showId}/pause`)).status).toBe(200);
    await event(bouncer.url, 'premiere.order.confirmed', {
      showId,
      visitor: visitors[0].visitor,
      orderId: randomUUID(),
      tickets: [],
    });
    expect(await inside(bouncer.fn, showId)).toHaveLength(1); // paused: the freed slot stays free
    expect((await status(url, showId, visitors[2])).admissionsPaused).toBe(true);
    const resumed = await (await admin(bouncer.url, 'POST', `/${showId}/resume`)).json();
    expect(resumed).toMatchObject({ showId, paused: false, inside: 2, waiting: 3 });

    const raised = await (await admin(bouncer.url, 'PATCH', `/${showId}`, { capacity: 4 })).json();
    expect(raised).toMatchObject({ capacity: 4, inside: 4, waiting: 1 });

    const drained = await (await admin(bouncer.url, 'POST', `/${showId}/drain`)).json();
    expect(drained.draining).toBe(true);
    const refused = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': newSession() },
    });
    expect(refused.status).toBe(410);
    expect((await refused.json()).error).toBe('drained');
    await admin(bouncer.url, 'POST', `/${showId}/undrain`);

    // Overbooking: 40 seats × 1.0 → 40 tokens, then 0 → back to 40... and a smaller quota sells out.
    const smaller = await (await admin(bouncer.url, 'PATCH', `/${showId}`, { overbooking: 0 })).json();
    expect(smaller).toMatchObject({ overbooking: 0, quota: 40, tokensIssued: 6, tokensLeft: 34 });
    const state = await (await admin(bouncer.url, 'GET', `/${showId}`)).json();
    expect(state).toMatchObject({
      showId,
      title: 'The Last Starfall',
      quota: 40,
      waiting: 1,
      inside: 4,
      capacity: 4,
      paused: false,
      draining: false,
    });
    expect(state.admissionsLastMinute).toBeGreaterThanOrEqual(5);
    const list = await (await admin(bouncer.url, 'GET', '')).json();
    expect(list.shows.map((s: { showId: string }) => s.showId)).toContain(showId);

    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query(
      "SELECT action, after->>'capacity' AS capacity FROM admit_batch.admin_actions WHERE show_id = $1 ORDER BY id",
      [showId],
    );
    await c.end();
    expect(rows.map((r) => r.action)).toEqual(['pause', 'resume', 'settings', 'drain', 'undrain', 'settings']);
    expect(rows[2].capacity).toBe('4');

    const page = await fetch(`${bouncer.url}/admin`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<form id="sign-in"');
  });

  it('puts a sold-out show back on sale when its overbooking is raised, and tells the catalog', async () => {
    const bouncer = await startBouncer();
    const { url } = await startIssueToken(bouncer.url);
    const showId = await addTestShow(db.url, { seats: 10, overbooking: 0 });
    for (let i = 0; i < 10; i++) await join(url, showId);
    expect(await bouncer.fn.ctx.redis.get(roomKeys(showId).availability)).toBe('sold_out');
    const raised = await (await admin(bouncer.url, 'PATCH', `/${showId}`, { overbooking: 0.5 })).json();
    expect(raised).toMatchObject({ quota: 15, tokensLeft: 5, availability: 'available' });
    expect((await join(url, showId)).state).toBe('waiting');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query(
      "SELECT data FROM admit_batch.outbox WHERE type = 'premiere.show.availability.changed' AND subject = $1",
      [showId],
    );
    await c.end();
    expect(rows.map((r) => r.data.availability)).toEqual(['available']);
  });

  it('refuses the operators’ API without the admin token, and bad input with 4xx, changing nothing', async () => {
    const bouncer = await startBouncer();
    const showId = await addTestShow(db.url, { seats: 10 });
    expect((await admin(bouncer.url, 'POST', `/${showId}/pause`, undefined, 'wrong-token-wrong-token')).status).toBe(
      401,
    );
    const noAuth = await fetch(`${bouncer.url}/admin/api/shows/${showId}`);
    expect(noAuth.status).toBe(400);
    expect((await noAuth.json()).message).toMatch(/Authorization: Bearer <ADMIN_TOKEN>/);
    expect((await admin(bouncer.url, 'GET', '/no-such-show')).status).toBe(404);
    expect((await admin(bouncer.url, 'GET', '/Bad_Id')).status).toBe(400);
    const empty = await admin(bouncer.url, 'PATCH', `/${showId}`, {});
    expect(empty.status).toBe(400);
    expect((await empty.json()).message).toMatch(/send "capacity"/);
    expect((await admin(bouncer.url, 'PATCH', `/${showId}`, { capacity: 0 })).status).toBe(400);
    expect((await admin(bouncer.url, 'PATCH', `/${showId}`, { overbooking: 2 })).status).toBe(400);
    expect((await admin(bouncer.url, 'PATCH', `/${showId}`, { capacity: 5, pad: 'x'.repeat(5_000) })).status).toBe(413);
    expect((await admin(bouncer.url, 'PATCH', `/${showId}`, { capacity: 5, extra: 1 })).status).toBe(400);
    // Events with bad data are refused too.
    expect((await event(bouncer.url, 'premiere.order.confirmed', { showId })).status).toBe(400);
    expect((await event(bouncer.url, 'premiere.visitor.active', { showId, visitor: 1, until: 'soon' })).status).toBe(
      400,
    );
    const state = await (await admin(bouncer.url, 'GET', `/${showId}`)).json();
    expect(state).toMatchObject({ paused: false, capacity: 10, quota: 11 });
  });
});

import { createFunction, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  NO_JOIN_LIMITS,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import {
  readRoomState,
  rememberSeatsPerOrder,
  roomKeys,
  RoomScripts,
  SEATS_PER_ORDER_MEMORY_KEY,
  ShowQueue,
  VISIT_MEMORY_KEY,
} from '@premiere/waiting-room';
import { issueToken } from '../src';

/**
 * The wait a visitor is told, in every regime the issue named: slow visits, nobody moving, a
 * pause, people ahead who left or let their turn lapse, and the moment of admission.
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

async function start(env: Record<string, string> = {}, deployment: 'new' | 'as it is' = 'new') {
  const fn = createFunction(
    issueToken,
    testEnv(db, redis.prefix, {
      TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
      ...NO_JOIN_LIMITS,
      STATUS_SNAPSHOT_MS: '0',
      ...env,
    }),
    captureLogs().stream,
  );
  running.push(fn);
  await fn.start();
  // Each test's deployment has measured nothing yet (the memory is every show's, in this prefix).
  if (deployment === 'new') await fn.ctx.redis.del(VISIT_MEMORY_KEY, SEATS_PER_ORDER_MEMORY_KEY);
  return { fn, url: `http://127.0.0.1:${fn.server.info.port}` };
}

let sessions = 0;
const newSession = () => `estimate-session-${process.pid}-${++sessions}-abcdef`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `n` visitors join one after the other; the first `capacity` are let in at once (a quiet room). */
async function line(url: string, showId: string, n: number) {
  const visitors: { session: string; token: string; visitor: number; status: Record<string, unknown> }[] = [];
  for (let i = 0; i < n; i++) {
    const session = newSession();
    const r = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': session },
    });
    visitors.push({ session, ...(await r.json()) });
  }
  return visitors;
}
const poll = async (url: string, showId: string, v: { session: string; token: string }) =>
  (await (
    await fetch(`${url}/waiting-room/api/shows/${showId}/status`, {
      headers: { authorization: `Bearer ${v.token}`, 'x-session-id': v.session },
    })
  ).json()) as Record<string, any>;

describe('wait estimates', () => {
  it('a cold line in a deployment that has sold before: a new show’s line is told what visits take here, not the default (the review’s 12 minutes for 100 s)', async () => {
    // ESTIMATE_VISIT_SECONDS unset: 180 s until a visit has ended anywhere.
    const before = await start();
    // Another show's visit took 25 s, and ended with an order.
    const earlier = await addTestShow(db.url, { seats: 200, zoneCapacity: 1 });
    const [buyer] = await line(before.url, earlier, 1);
    expect(buyer.status.state).toBe('admitted');
    await before.fn.ctx.redis.hset(
      `${roomKeys(earlier).visitorPrefix}${buyer.visitor}`,
      'admittedAt',
      Date.now() - 25_000,
    );
    expect((await ShowQueue.of(before.fn.ctx.redis, earlier).finish(buyer.visitor, 'seats')).freed).toBe(true);
    // Later (another pod, or the same a few seconds on), a new show: nothing measured in its own
    // line, one inside, two waiting.
    const { url, fn } = await start({}, 'as it is');
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 1 });
    const visitors = await line(url, showId, 3);
    expect(visitors[2].status).toMatchObject({ state: 'waiting', ahead: 1 });
    for (const s of [visitors[2].status, await poll(url, showId, visitors[2])]) {
      expect(s.estimatedWaitSeconds).toBeGreaterThanOrEqual(45);
      expect(s.estimatedWaitSeconds).toBeLessThanOrEqual(52);
    }
    expect(
      (await readRoomState(fn.ctx.redis, showId, { visitMs: 25_000, seatsPerOrder: 2 }))!.lineWaitSeconds,
    ).toBeLessThanOrEqual(52);
  });

  it('a new show’s line after a sale whose last zone-full found no seats: told what a buyer’s visit takes, not the moments of those who looked and left (the full burst’s opening, told 8 s for 30)', async () => {
    const before = await start();
    const earlier = await addTestShow(db.url, { seats: 200, zoneCapacity: 4 });
    const [buyer, ...lookers] = await line(before.url, earlier, 4);
    expect([buyer, ...lookers].every((v) => v.status.state === 'admitted')).toBe(true);
    const { visitorPrefix } = roomKeys(earlier);
    const queue = ShowQueue.of(before.fn.ctx.redis, earlier);
    // Three looked for a second and left; then the buyer's 25 s visit ended with an order.
    for (const v of lookers) {
      await before.fn.ctx.redis.hset(`${visitorPrefix}${v.visitor}`, 'admittedAt', Date.now() - 1_000);
      await queue.leave(v.visitor);
    }
    await before.fn.ctx.redis.hset(`${visitorPrefix}${buyer.visitor}`, 'admittedAt', Date.now() - 25_000);
    expect((await queue.finish(buyer.visitor, 'seats')).freed).toBe(true);
    const { url } = await start({}, 'as it is');
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 1 });
    const visitors = await line(url, showId, 3);
    expect(visitors[2].status).toMatchObject({ state: 'waiting', ahead: 1 });
    expect(visitors[2].status.estimatedWaitSeconds).toBeGreaterThanOrEqual(45);
    expect(visitors[2].status.estimatedWaitSeconds).toBeLessThanOrEqual(52);
  });

  it('a new show’s line starts from the operators’ ESTIMATE_VISIT_SECONDS when they set it, not from another sale’s visits', async () => {
    const before = await start();
    const earlier = await addTestShow(db.url, { seats: 200, zoneCapacity: 1 });
    const [buyer] = await line(before.url, earlier, 1);
    await before.fn.ctx.redis.hset(
      `${roomKeys(earlier).visitorPrefix}${buyer.visitor}`,
      'admittedAt',
      Date.now() - 25_000,
    );
    expect((await ShowQueue.of(before.fn.ctx.redis, earlier).finish(buyer.visitor, 'seats')).freed).toBe(true);
    const { url } = await start({ ESTIMATE_VISIT_SECONDS: '60' }, 'as it is');
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 1 });
    const visitors = await line(url, showId, 3);
    // One inside, one ahead: two visits of 60 s, not of 25.
    for (const s of [visitors[2].status, await poll(url, showId, visitors[2])]) {
      expect(s.estimatedWaitSeconds).toBeGreaterThanOrEqual(115);
      expect(s.estimatedWaitSeconds).toBeLessThanOrEqual(120);
    }
  });

  it('a line whose first visits ended in looking and leaving: the buyers behind are told what a visit takes, not those moments (the refill preset, told 2 s for 50)', async () => {
    const { url, fn } = await start({ ESTIMATE_VISIT_SECONDS: '50' });
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 3 });
    const queue = ShowQueue.of(fn.ctx.redis, showId);
    const lookers = await line(url, showId, 3);
    for (const v of lookers) {
      await fn.ctx.redis.hset(`${roomKeys(showId).visitorPrefix}${v.visitor}`, 'admittedAt', Date.now() - 1_000);
      await queue.leave(v.visitor);
    }
    expect(Number(await fn.ctx.redis.hget(roomKeys(showId).room, 'leftVisitMs'))).toBeGreaterThanOrEqual(1_000);
    // Three buyers inside, three waiting: the last (two ahead) waits for a slot's first visit.
    const buyers = await line(url, showId, 6);
    expect(buyers.slice(0, 3).every((v) => v.status.state === 'admitted')).toBe(true);
    const last = await poll(url, showId, buyers[5]);
    expect(last).toMatchObject({ state: 'waiting', ahead: 2 });
    expect(last.estimatedWaitSeconds).toBeGreaterThanOrEqual(45);
    expect(last.estimatedWaitSeconds).toBeLessThanOrEqual(50);
  });

  it('a new sale’s line counts the buyers its seats can serve at the seats an order took in the deployment’s last sale, or at the operators’ figure when set', async () => {
    for (const [env, told] of [
      [{}, 60],
      [{ ESTIMATE_SEATS_PER_ORDER: '2' }, 110],
    ] as const) {
      const { url, fn } = await start({ ESTIMATE_VISIT_SECONDS: '10', ...env });
      // The last sale's orders took four seats each.
      await rememberSeatsPerOrder(fn.ctx.redis, 4);
      // 20 seats, a zone of one: one inside, eleven waiting; the last has eleven ahead, of whom
      // the seats serve five (at 4 a buyer: a visit each), the rest through in moments.
      const showId = await addTestShow(db.url, { seats: 20, zoneCapacity: 1 });
      const visitors = await line(url, showId, 12);
      const last = await poll(url, showId, visitors[11]);
      expect(last).toMatchObject({ state: 'waiting', ahead: 10 });
      expect(Math.abs(last.estimatedWaitSeconds - told)).toBeLessThanOrEqual(2);
    }
  });

  it('slow visits: seven ahead of a zone whose visits have lasted minutes is told minutes, not "less than a minute"', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 10 });
    const visitors = await line(url, showId, 18);
    expect(visitors.slice(0, 10).every((v) => v.status.state === 'admitted')).toBe(true);
    // The visits measured so far were short (30 s: people who found nothing and left), but the ten
    // inside have been choosing for two and a half minutes, their slots held for minutes more.
    const { room, inside, visitorPrefix } = roomKeys(showId);
    const now = Date.now();
    await fn.ctx.redis.hset(room, 'visitMs', 30_000);
    for (const v of visitors.slice(0, 10)) {
      await fn.ctx.redis.hset(`${visitorPrefix}${v.visitor}`, 'admittedAt', now - 150_000);
      await fn.ctx.redis.zadd(inside, now + 200_000, String(v.visitor));
    }
    const last = await poll(url, showId, visitors[17]);
    expect(last).toMatchObject({ state: 'waiting', ahead: 7, estimateState: 'estimated' });
    expect(last.estimatedWaitSeconds).toBeGreaterThanOrEqual(120);
    expect(last.estimate).not.toBe('less than a minute');
    // The operators see the same wait for the back of the line (not the pace times the line: 24 s).
    const state = await readRoomState(fn.ctx.redis, showId, { visitMs: 180_000, seatsPerOrder: 2 });
    expect(Math.abs(state!.lineWaitSeconds! - last.estimatedWaitSeconds)).toBeLessThanOrEqual(1);
    await fn.ctx.redis.hset(roomKeys(showId).room, 'paused', 1);
    expect(await readRoomState(fn.ctx.redis, showId)).toMatchObject({ paused: true, lineWaitSeconds: null });
  });

  it('grows while nobody moves', async () => {
    const { url } = await start({ ESTIMATE_VISIT_SECONDS: '1' });
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 1 });
    const visitors = await line(url, showId, 3);
    const before = await poll(url, showId, visitors[2]);
    expect(before).toMatchObject({ state: 'waiting', ahead: 1 });
    // The visit inside was to take a second; four go by, nobody is let in.
    await sleep(4_000);
    const after = await poll(url, showId, visitors[2]);
    expect(after).toMatchObject({ state: 'waiting', ahead: 1 });
    expect(after.estimatedWaitSeconds).toBeGreaterThan(before.estimatedWaitSeconds + 2);
  });

  it('says "paused" while admissions are paused: a state, not a number, to pollers and joiners alike', async () => {
    const { url, fn } = await start({ ESTIMATE_VISIT_SECONDS: '60' });
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 1 });
    const visitors = await line(url, showId, 3);
    expect((await poll(url, showId, visitors[2])).estimateState).toBe('estimated');
    await fn.ctx.redis.hset(roomKeys(showId).room, 'paused', 1);
    const paused = await poll(url, showId, visitors[2]);
    expect(paused).toMatchObject({
      state: 'waiting',
      ahead: 1,
      admissionsPaused: true,
      estimateState: 'paused',
      estimatedWaitSeconds: null,
      estimate: null,
    });
    expect(paused.message).toMatch(/paused/);
    const [joiner] = await line(url, showId, 1);
    expect(joiner.status).toMatchObject({ state: 'waiting', estimateState: 'paused', estimatedWaitSeconds: null });
    // Resumed: a number again.
    await fn.ctx.redis.hset(roomKeys(showId).room, 'paused', 0);
    expect((await poll(url, showId, visitors[2])).estimateState).toBe('estimated');
  });

  it('does not count admissions that lapsed: their slots go to the next in line', async () => {
    const { url, fn } = await start({ ESTIMATE_VISIT_SECONDS: '120' });
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 2 });
    const visitors = await line(url, showId, 4);
    const inside = roomKeys(showId).inside;
    const before = await poll(url, showId, visitors[3]);
    expect(before.estimatedWaitSeconds).toBeGreaterThanOrEqual(110);
    // Both let in never came: their admissions ran out (the bouncer takes the slots back at its next pass).
    for (const v of visitors.slice(0, 2)) await fn.ctx.redis.zadd(inside, Date.now() - 1_000, String(v.visitor));
    const after = await poll(url, showId, visitors[3]);
    expect(after).toMatchObject({ state: 'waiting', ahead: 1 });
    expect(after.estimatedWaitSeconds).toBeLessThan(5);
  });

  it('measures how long visits that end in leaving the zone take: the slot time of those ahead whom the seats left cannot serve', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 1 });
    const [inside] = await line(url, showId, 1);
    await sleep(300);
    await fetch(`${url}/waiting-room/api/shows/${showId}/token`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${inside.token}`, 'x-session-id': inside.session },
    });
    expect(Number(await fn.ctx.redis.hget(roomKeys(showId).room, 'leftVisitMs'))).toBeGreaterThanOrEqual(300);
  });

  it('does not count the people ahead who stopped polling (the bouncer passes them over)', async () => {
    const { url, fn } = await start({ ESTIMATE_VISIT_SECONDS: '60' });
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 1 });
    const visitors = await line(url, showId, 6);
    const visitorPrefix = roomKeys(showId).visitorPrefix;
    // Four of the five waiting closed their tabs long ago.
    for (const v of visitors.slice(1, 5)) await fn.ctx.redis.hset(`${visitorPrefix}${v.visitor}`, 'lastSeen', 0);
    await poll(url, showId, visitors[5]); // the snapshot that sees them
    const last = await poll(url, showId, visitors[5]);
    expect(last).toMatchObject({ state: 'waiting', ahead: 4 });
    // Only the visit inside stands before them: about a minute, not five.
    expect(last.estimatedWaitSeconds).toBeLessThanOrEqual(61);
    expect(last.estimatedWaitSeconds).toBeGreaterThanOrEqual(55);
  });

  it('tells the front of the line to poll within two seconds however long the estimate, so an admission is learnt at once', async () => {
    const { url, fn } = await start({ ESTIMATE_VISIT_SECONDS: '600' });
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 2 });
    const visitors = await line(url, showId, 14);
    // Ten minutes' wait for the next two, but either may be let in whenever a visit ends.
    for (const v of visitors.slice(2, 4)) {
      expect(v.status).toMatchObject({ state: 'waiting' });
      expect(v.status.estimatedWaitSeconds).toBeGreaterThanOrEqual(590);
      expect(v.status.pollAfterMs).toBeLessThanOrEqual(2_000);
      expect((await poll(url, showId, v)).pollAfterMs).toBeLessThanOrEqual(2_000);
    }
    // Further back, polls stay sparse.
    expect((await poll(url, showId, visitors[13])).pollAfterMs).toBeGreaterThanOrEqual(10_000);
    // A visit ends and the bouncer lets the next in: their very next poll, two seconds on at most, says so.
    const { room } = roomKeys(showId);
    const scripts = RoomScripts.forShow(fn.ctx.redis, showId);
    await scripts.finish(visitors[0].visitor, 'none');
    await scripts.admit(60_000, 90_000);
    expect(await fn.ctx.redis.hget(room, 'admitted')).toBe('3');
    const next = await poll(url, showId, visitors[2]);
    expect(next.state).toBe('admitted');
  });
});

import { createFunction, type RunningFunction } from '@premiere/runtime';
import { sessionHash } from '@premiere/contracts';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventually,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  NO_JOIN_LIMITS,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import { readRoomState, roomKeys, ShowQueue } from '@premiere/waiting-room';
import { issueToken } from '../src';

// Redis forgets a show (a restart without its data, a flush, a failover to a replica that lagged):
// the visitors keep their places, the quota is not issued a second time, and nobody is told
// "expired" or "sold out" because Redis forgot.

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

async function start(env: Record<string, string> = {}) {
  const logs = captureLogs();
  const fn = createFunction(
    issueToken,
    testEnv(db, redis.prefix, {
      TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
      ...NO_JOIN_LIMITS,
      STATUS_SNAPSHOT_MS: '0',
      ...env,
    }),
    logs.stream,
  );
  running.push(fn);
  await fn.start();
  return { fn, logs, url: `http://127.0.0.1:${fn.server.info.port}` };
}

let sessionCounter = 0;
const newSession = () => `loss-session-${process.pid}-${++sessionCounter}-abcdef`;
const join = async (url: string, showId: string, session: string) => {
  const res = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
    method: 'POST',
    headers: { 'x-session-id': session },
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
};
const poll = async (url: string, showId: string, token: string, session: string) => {
  const res = await fetch(`${url}/waiting-room/api/shows/${showId}/status`, {
    headers: { authorization: `Bearer ${token}`, 'x-session-id': session },
  });
  return { status: res.status, body: await res.json() };
};
const leave = (url: string, showId: string, token: string, session: string) =>
  fetch(`${url}/waiting-room/api/shows/${showId}/token`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${token}`, 'x-session-id': session },
  });

describe('when Redis forgets a show', () => {
  it('puts every waiting visitor back at their place on their next poll, and gives later joiners places behind them', async () => {
    const { url } = await start({ RECOVERY_GRACE_SECONDS: '60' });
    const showId = await addTestShow(db.url, { seats: 100, zoneCapacity: 1 });
    const visitors = [];
    for (let i = 0; i < 6; i++) {
      const session = newSession();
      const joined = await join(url, showId, session);
      expect(joined.status).toBe(201);
      visitors.push({
        session,
        token: joined.body.token as string,
        visitor: joined.body.visitor as number,
        place: joined.body.status.place as number,
      });
    }
    expect(visitors.map((v) => v.place)).toEqual([1, 2, 3, 4, 5, 6]);

    await redis.clean(); // everything Redis knew is gone

    for (const v of visitors.slice(1).reverse()) {
      const { status, body } = await poll(url, showId, v.token, v.session);
      expect(status).toBe(200);
      expect(body).toMatchObject({ state: 'waiting', place: v.place });
      expect(body.message).not.toMatch(/expired|came and went|sold out/i);
    }
    // The first was admitted before the loss: back at the head of the line, never told their turn went.
    const first = await poll(url, showId, visitors[0].token, visitors[0].session);
    expect(first.body).toMatchObject({ place: 1 });
    expect(['waiting', 'admitted']).toContain(first.body.state);
    // The line is in the order of the places, whoever polled first.
    const second = await poll(url, showId, visitors[1].token, visitors[1].session);
    expect(second.body.ahead).toBe(first.body.state === 'waiting' ? 1 : 0);

    // A new joiner gets a number and a place nobody holds.
    const late = await join(url, showId, newSession());
    expect(late.status).toBe(201);
    expect(visitors.map((v) => v.visitor)).not.toContain(late.body.visitor);
    expect(late.body.status.place).toBeGreaterThan(6);
  });

  it('never issues the quota twice: joiners wait while the tokens are counted, then get only those truly given back', async () => {
    const { url, fn, logs } = await start({ RECOVERY_GRACE_SECONDS: '2' });
    const showId = await addTestShow(db.url, { seats: 4, overbooking: 0, zoneCapacity: 1 });
    const holders = [];
    for (let i = 0; i < 4; i++) {
      const session = newSession();
      const joined = await join(url, showId, session);
      expect(joined.status).toBe(201);
      holders.push({ session, token: joined.body.token as string });
    }
    expect((await join(url, showId, newSession())).status).toBe(410); // sold out: 4 live tokens of 4

    await redis.clean();

    // Redis does not know how many tokens are live: not sold out (it may not be), not a fifth token.
    const reserved = async () =>
      (await fn.ctx.db.query('SELECT reserved FROM issue_token.token_ledger WHERE show_id = $1', [showId])).rows[0]
        .reserved;
    const before = await reserved();
    const meanwhile = await join(url, showId, newSession());
    expect(meanwhile.status).toBe(503);
    for (let i = 0; i < 5; i++) expect((await join(url, showId, newSession())).status).toBe(503);
    expect(await reserved()).toBe(before); // a refused join takes no number, nor reserves any
    expect(Number(meanwhile.retryAfter)).toBeGreaterThan(0);
    expect(meanwhile.body.message).toMatch(/recover|counting/i);
    // Said on purpose, not a failure: a warning, never an error line to page someone with.
    expect(logs.lines.filter((l) => l.level === 'error' || l.level === 50)).toEqual([]);

    // The four come back; one of them leaves, and after the grace only that one token is free.
    for (const h of holders) expect((await poll(url, showId, h.token, h.session)).status).toBe(200);
    expect((await leave(url, showId, holders[3].token, holders[3].session)).status).toBe(200);
    const after = await eventually(async () => {
      const j = await join(url, showId, newSession());
      return j.status !== 503 && j;
    }, 10_000);
    expect(after.status).toBe(201);
    expect((await join(url, showId, newSession())).status).toBe(410); // the one given back went to the first
    const state = await readRoomState(fn.ctx.redis, showId);
    expect(state).toMatchObject({ quota: 4, tokensLive: 4 });
  });

  it('gives back after the grace the tokens nobody came back for (they left before the loss, or went away)', async () => {
    const { url, fn } = await start({ RECOVERY_GRACE_SECONDS: '1' });
    const showId = await addTestShow(db.url, { seats: 3, overbooking: 0, zoneCapacity: 1 });
    for (let i = 0; i < 3; i++) expect((await join(url, showId, newSession())).status).toBe(201);
    await redis.clean();
    expect((await join(url, showId, newSession())).status).toBe(503);
    await eventually(async () => (await join(url, showId, newSession())).status === 201, 10_000);
    const state = await readRoomState(fn.ctx.redis, showId);
    expect(state!.tokensLive).toBeLessThanOrEqual(3);
  });
});

describe('a browser that reloads after Redis forgot the show', () => {
  it('keeps its place: the page joins again with the queue token its cookie kept', async () => {
    const { url } = await start({ RECOVERY_GRACE_SECONDS: '60' });
    const showId = await addTestShow(db.url, { seats: 100, zoneCapacity: 1 });
    for (let i = 0; i < 3; i++) await join(url, showId, newSession()); // ahead of the browser
    const first = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, { method: 'POST' });
    expect(first.status).toBe(201);
    const placed = (await first.json()).status.place;
    const cookies = first.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    expect(cookies).toContain(`premiere_queue_${showId}=`);

    await redis.clean();

    const again = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { cookie: cookies },
    });
    expect(again.status).toBe(200);
    expect((await again.json()).status).toMatchObject({ state: 'waiting', place: placed });
    // The page without JavaScript too.
    const page = await fetch(`${url}/waiting-room/${showId}/status`, {
      headers: { cookie: cookies },
      redirect: 'manual',
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('você mantém o seu lugar'); // the line holds still while its visitors come back
  });
});

describe('the pre-queue and a replica that lagged', () => {
  it('puts a pre-queue visitor back in the pre-queue, and draws the places once the grace is over', async () => {
    const { url } = await start({ RECOVERY_GRACE_SECONDS: '1' });
    const showId = await addTestShow(db.url, {
      seats: 100,
      zoneCapacity: 1,
      salesOpenAt: new Date(Date.now() + 2_500),
    });
    const early = [];
    for (let i = 0; i < 3; i++) {
      const session = newSession();
      const joined = await join(url, showId, session);
      expect(joined.body.status.state).toBe('pre_queue');
      early.push({ session, token: joined.body.token as string });
    }
    await redis.clean();
    for (const v of early) expect((await poll(url, showId, v.token, v.session)).body.state).toBe('pre_queue');
    // Sales open, the grace ends: each gets one of the first three places, and a later joiner the fourth or beyond.
    const places = await eventually(async () => {
      const answers = await Promise.all(early.map((v) => poll(url, showId, v.token, v.session)));
      return answers.every((a) => a.body.state !== 'pre_queue') && answers.map((a) => a.body.place as number);
    }, 10_000);
    expect([...places].sort()).toEqual([1, 2, 3]);
  });

  it('gives a visitor whose number went to someone else (a replica that lagged) a new number at the same place, with a new token', async () => {
    const { url, fn } = await start({ RECOVERY_GRACE_SECONDS: '60' });
    const showId = await addTestShow(db.url, { seats: 100, zoneCapacity: 1 });
    const a = newSession();
    await join(url, showId, newSession()); // admitted
    const waiting = await join(url, showId, a);
    expect(waiting.body.status).toMatchObject({ state: 'waiting', place: 2 });
    // The replica that took over never saw that join: the room's counters are one behind, and the
    // next joiner is given the same number.
    const { room, sessions, queue, visitorPrefix } = roomKeys(showId);
    await fn.ctx.redis.hincrby(room, 'issued', -1);
    await fn.ctx.redis.hincrby(room, 'seq', -1);
    await fn.ctx.redis.del(`${visitorPrefix}${waiting.body.visitor}`);
    await fn.ctx.redis.zrem(queue, String(waiting.body.visitor));
    await fn.ctx.redis.hdel(sessions, sessionHash(a));
    const b = await join(url, showId, newSession());
    expect(b.body.visitor).toBe(waiting.body.visitor);

    const back = await poll(url, showId, waiting.body.token, a);
    expect(back.body).toMatchObject({ state: 'waiting', place: 2 });
    expect(typeof back.body.token).toBe('string'); // a new number: use this token from now on
    const again = await poll(url, showId, back.body.token, a);
    expect(again.body).toMatchObject({ state: 'waiting', place: 2, ahead: 0 });
    expect(again.body.token).toBeUndefined();
  });
});

describe('a show whose sales opened before anyone joined', () => {
  it('takes its first joiner at once, and admits its line again once a rebuilt room has recovered', async () => {
    const { url, fn } = await start({ RECOVERY_GRACE_SECONDS: '1' });
    const showId = await addTestShow(db.url, {
      seats: 3,
      overbooking: 0,
      zoneCapacity: 1,
      salesOpenAt: new Date(Date.now() - 60_000),
    });
    const held = [];
    for (let i = 0; i < 3; i++) {
      const session = newSession();
      const joined = await join(url, showId, session);
      expect(joined.status).toBe(201); // not a refusal while the sales open and numbers are reserved
      held.push({ session, token: joined.body.token as string });
    }
    await redis.clean();
    for (const h of held) expect((await poll(url, showId, h.token, h.session)).status).toBe(200);
    await eventually(async () => (await readRoomState(fn.ctx.redis, showId))!.recoveringUntil === null, 10_000);
    const admitted = await ShowQueue.of(fn.ctx.redis, showId).admit(60_000, 60_000);
    expect(admitted!.admitted).toBe(1); // the zone holds one: the line moves again
    const first = await poll(url, showId, held[0].token, held[0].session);
    expect(first.body.state).toBe('admitted');
  });
});

describe('what the rebuilt room must not believe', () => {
  it('does not put back a token given back before the loss: its holder left, it does not count, nobody is jumped', async () => {
    const { url, fn } = await start({ RECOVERY_GRACE_SECONDS: '1' });
    const showId = await addTestShow(db.url, { seats: 3, overbooking: 0, zoneCapacity: 1 });
    // Tokens farmed: taken and given back at once.
    const farmed = [];
    for (let i = 0; i < 5; i++) {
      const session = newSession();
      const joined = await join(url, showId, session);
      expect((await leave(url, showId, joined.body.token, session)).status).toBe(200);
      farmed.push({ session, token: joined.body.token as string });
    }
    const honest = [];
    for (let i = 0; i < 3; i++) {
      const session = newSession();
      const joined = await join(url, showId, session);
      honest.push({ session, token: joined.body.token as string, place: joined.body.status.place as number });
    }
    await redis.clean();
    for (const f of farmed) expect((await poll(url, showId, f.token, f.session)).body.state).toBe('left');
    for (const h of honest)
      expect((await poll(url, showId, h.token, h.session)).body).toMatchObject({ place: h.place });
    await eventually(async () => (await readRoomState(fn.ctx.redis, showId))!.recoveringUntil === null, 10_000);
    expect(await readRoomState(fn.ctx.redis, showId)).toMatchObject({ quota: 3, tokensLive: 3 });
    expect((await join(url, showId, newSession())).status).toBe(410);
  });

  it('puts a holder who comes back only after the grace at the back of the line, behind those who came back in time', async () => {
    const { url, fn } = await start({ RECOVERY_GRACE_SECONDS: '1' });
    const showId = await addTestShow(db.url, { seats: 100, zoneCapacity: 1 });
    const v = [];
    for (let i = 0; i < 3; i++) {
      const session = newSession();
      const joined = await join(url, showId, session);
      v.push({ session, token: joined.body.token as string, place: joined.body.status.place as number });
    }
    await redis.clean();
    expect((await poll(url, showId, v[2].token, v[2].session)).body).toMatchObject({ state: 'waiting', place: 3 });
    await eventually(async () => (await readRoomState(fn.ctx.redis, showId))!.recoveringUntil === null, 10_000);
    const late = await poll(url, showId, v[1].token, v[1].session);
    expect(late.body.state).toBe('waiting');
    expect(late.body.place).toBeGreaterThan(3);
    expect(typeof late.body.token).toBe('string'); // their new place
  });

  it('draws latecomers who join after the opening during a recovery behind everyone who came before it', async () => {
    const { url } = await start({ RECOVERY_GRACE_SECONDS: '3' });
    const showId = await addTestShow(db.url, {
      seats: 100,
      zoneCapacity: 1,
      salesOpenAt: new Date(Date.now() + 1_500),
    });
    const early = [];
    for (let i = 0; i < 3; i++) {
      const session = newSession();
      const joined = await join(url, showId, session);
      early.push({ session, token: joined.body.token as string });
    }
    await redis.clean();
    for (const e of early) expect((await poll(url, showId, e.token, e.session)).body.state).toBe('pre_queue');
    await new Promise((r) => setTimeout(r, 1_600)); // sales open, the room still recovering
    const session = newSession();
    const latecomer = await join(url, showId, session);
    expect(latecomer.status).toBe(201);
    const place = await eventually(async () => {
      const p = await poll(url, showId, latecomer.body.token, session);
      return p.body.place ?? null;
    }, 10_000);
    expect(place).toBe(4);
  });
});

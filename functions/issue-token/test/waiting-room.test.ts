import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import { TokenSigner } from '@premiere/contracts';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  PREMIERE_SHOW_ID,
  addTestShow,
  NO_JOIN_LIMITS,
  TEST_SIGNING_KEYS,
  dropConnectionBeforeHandler,
} from '@premiere/testing';
import { changeRoomSettings, roomKeys } from '@premiere/waiting-room';
import { issueToken } from '../src';

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
  return { fn, url: `http://127.0.0.1:${fn.server.info.port}`, logs: logs.lines };
}

let sessionCounter = 0;
const newSession = () => `test-session-${process.pid}-${++sessionCounter}-abcdef`;
const join = (url: string, showId: string, session?: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
    method: 'POST',
    headers: { ...(session ? { 'x-session-id': session } : {}), ...headers },
  });
const status = (url: string, showId: string, token: string, session: string) =>
  fetch(`${url}/waiting-room/api/shows/${showId}/status`, {
    headers: { authorization: `Bearer ${token}`, 'x-session-id': session },
  });

describe('joining', () => {
  it('a visitor whose connection closed before their join was handled: no server error, no place taken', async () => {
    const { fn, url, logs } = await start();
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 1 });
    // The visitor goes (a closed tab, a lost phone signal) once hapi has the request.
    const answered = dropConnectionBeforeHandler(fn.server, () => true);
    await expect(join(url, showId, newSession())).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 300));
    expect(answered).toHaveLength(1);
    expect(answered[0]).toBeLessThan(500);
    expect(logs.filter((l) => Number(l.level) >= 50)).toEqual([]);
    expect(Number(await fn.ctx.redis.hget(roomKeys(showId).room, 'issued'))).toBe(0);
  });

  it('gives a new session a token and a place, and the same session the same token and place, however often it joins', async () => {
    const { url } = await start();
    const showId = await addTestShow(db.url, { seats: 50, zoneCapacity: 1 });
    // A browser: no session yet, so it gets a cookie.
    const first = await join(url, showId);
    expect(first.status).toBe(201);
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^premiere_session=[A-Za-z0-9_-]{22}; .*HttpOnly/);
    expect(cookie).toContain('SameSite=Lax');
    const body = await first.json();
    expect(body.status).toMatchObject({ showId, state: 'admitted', place: 1 }); // a quiet room: in at once

    const session = cookie.split(';')[0];
    const tabs = await Promise.all(Array.from({ length: 10 }, () => join(url, showId, undefined, { cookie: session })));
    for (const tab of tabs) {
      expect(tab.status).toBe(200);
      expect(tab.headers.get('set-cookie') ?? '').not.toContain('premiere_session='); // the same session (its queue token is kept too)
      const again = await tab.json();
      expect(again.token).toBe(body.token);
      expect(again.visitor).toBe(body.visitor);
    }

    // An app with its own session id; ten concurrent double-clicks take one token.
    const app = newSession();
    const clicks = await Promise.all(
      Array.from({ length: 10 }, () =>
        join(url, showId, app).then(async (r) => ({ status: r.status, body: await r.json() })),
      ),
    );
    expect(clicks.filter((c) => c.status === 201)).toHaveLength(1);
    expect(new Set(clicks.map((c) => c.body.token)).size).toBe(1);
    expect(clicks[0].body.status).toMatchObject({ state: 'waiting', place: 2, ahead: 0 });
    const issued = await running[0].ctx.redis.hget(roomKeys(showId).room, 'issued');
    expect(issued).toBe('2');
  });

  it('issues exactly seats × (1 + overbooking) tokens under concurrency; the next are told sold out with the nearest other shows', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 100, overbooking: 0.1 });
    const answers = await Promise.all(
      Array.from({ length: 300 }, () =>
        join(url, showId, newSession()).then(async (r) => ({ status: r.status, body: await r.json() })),
      ),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(110);
    const refused = answers.filter((a) => a.status === 410);
    expect(refused).toHaveLength(190);
    expect(refused[0].body.error).toBe('sold_out');
    expect(refused[0].body.message).toMatch(/sold out/);
    // Other shows of The Last Starfall: the same cinema (Cine Paulista) first, then the same city, then Rio.
    const alternatives = refused[0].body.alternatives as {
      showId: string;
      cinemaName: string;
      city: string;
      url: string;
    }[];
    expect(alternatives.length).toBeGreaterThan(1);
    expect(alternatives[0].cinemaName).toBe('Cine Paulista');
    expect(alternatives[0].url).toBe(`/waiting-room/${alternatives[0].showId}`);
    const cityOrder = alternatives.map((a) => a.city);
    expect(
      cityOrder.indexOf('Rio de Janeiro') === -1 ||
        cityOrder.lastIndexOf('São Paulo') < cityOrder.indexOf('Rio de Janeiro'),
    ).toBe(true);
    expect(alternatives.map((a) => a.showId)).not.toContain(showId);

    // Places are the arrival sequence: 1…110, each once.
    const places = answers
      .filter((a) => a.status === 201)
      .map((a) => a.body.status.place)
      .sort((a, b) => a - b);
    expect(places).toEqual(Array.from({ length: 110 }, (_, i) => i + 1));

    // The catalog is told: the value in Redis, the event through the outbox.
    expect(await fn.ctx.redis.get(roomKeys(showId).availability)).toBe('sold_out');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    const { rows } = await c.query(
      "SELECT data FROM issue_token.outbox WHERE type = 'premiere.show.availability.changed' AND subject = $1 ORDER BY id",
      [showId],
    );
    await c.end();
    expect(rows.map((r) => r.data.availability)).toEqual(['few_left', 'sold_out']);

    // A sold-out show is a sold-out page for browsers too, with links to the other shows.
    const page = await fetch(`${url}/waiting-room/${showId}/join`, { method: 'POST' });
    expect(page.status).toBe(410);
    const html = await page.text();
    expect(html).toContain('Ingressos esgotados');
    expect(html).toContain(`href="/waiting-room/${alternatives[0].showId}"`);
  });

  it('offers, when sold out, only other shows that still have tokens: a sold-out or closed line is left out, the nearest times first', async () => {
    const { url, fn } = await start();
    const day = Date.now() + 400 * 86_400_000; // away from every other show of the movie in this database
    const at = (hours: number) => new Date(day + hours * 3_600_000);
    const showId = await addTestShow(db.url, { seats: 1, overbooking: 0, startsAt: at(0) });
    const soldOut = await addTestShow(db.url, { seats: 1, overbooking: 0, startsAt: at(1) });
    const closed = await addTestShow(db.url, { seats: 10, startsAt: at(-1) });
    const sooner = await addTestShow(db.url, { seats: 10, startsAt: at(-2) });
    const later = await addTestShow(db.url, { seats: 10, startsAt: at(3) });
    for (const id of [soldOut, closed, showId]) expect((await join(url, id, newSession())).status).toBe(201);
    await changeRoomSettings(fn.ctx.redis, closed, { draining: 1 }); // the operators closed its line
    const refused = await join(url, showId, newSession());
    expect(refused.status).toBe(410);
    const offered = ((await refused.json()).alternatives as { showId: string }[]).map((a) => a.showId);
    expect(offered.slice(0, 2)).toEqual([sooner, later]);
    for (const gone of [showId, soldOut, closed]) expect(offered).not.toContain(gone);
  });

  it('gives the pre-queue random places among themselves when sales open, and latecomers queue behind them in order', async () => {
    const { url } = await start();
    const opensAt = new Date(Date.now() + 1_500);
    const showId = await addTestShow(db.url, { seats: 200, salesOpenAt: opensAt });
    const early = await Promise.all(
      Array.from({ length: 40 }, async () => {
        const session = newSession();
        // One at a time would be arrival order; these arrive in a known order.
        return { session, body: await (await join(url, showId, session)).json() };
      }),
    );
    for (const e of early) {
      expect(e.body.status.state).toBe('pre_queue');
      expect(e.body.status.place).toBeNull();
      expect(e.body.status.salesOpenAt).toBe(opensAt.toISOString());
      expect(e.body.status.pollAfterMs).toBeGreaterThan(0);
    }
    await new Promise((r) => setTimeout(r, opensAt.getTime() - Date.now() + 50));
    const late = [];
    for (let i = 0; i < 5; i++) {
      const session = newSession();
      late.push((await (await join(url, showId, session)).json()).status.place);
    }
    const drawn = [];
    for (const e of early) {
      const s = await (await status(url, showId, e.body.token, e.session)).json();
      expect(s.state === 'waiting' || s.state === 'admitted').toBe(true);
      drawn.push(s.place);
      // A new token carries the drawn place; polling with it answers the same.
      const claims = JSON.parse(Buffer.from(s.token.split('.')[1], 'base64url').toString());
      expect(claims.place).toBe(s.place);
      expect((await (await status(url, showId, s.token, e.session)).json()).place).toBe(s.place);
    }
    expect([...drawn].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    // Random, not arrival order (the chance of 40 in order is 1/40!).
    expect(drawn).not.toEqual([...drawn].sort((a, b) => a - b));
    expect(late).toEqual([41, 42, 43, 44, 45]);
  });

  it('rate-limits joins per session and per client address, with Retry-After', async () => {
    const { url } = await start({
      JOIN_RATE_PER_SESSION: '3',
      JOIN_RATE_PER_ADDRESS: '5',
      JOIN_RATE_WINDOW_SECONDS: '60',
    });
    const showId = await addTestShow(db.url, { seats: 50 });
    const session = newSession();
    const codes = [];
    for (let i = 0; i < 4; i++)
      codes.push((await join(url, showId, session, { 'x-client-address': '198.51.100.1' })).status);
    expect(codes).toEqual([201, 200, 200, 429]);
    const limited = await join(url, showId, session, { 'x-client-address': '198.51.100.2' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.json()).message).toMatch(/too many joins from this session/);

    const address = '198.51.100.3';
    const byAddress = [];
    for (let i = 0; i < 6; i++)
      byAddress.push((await join(url, showId, newSession(), { 'x-client-address': address })).status);
    expect(byAddress).toEqual([201, 201, 201, 201, 201, 429]);
  });
});

describe('status and tokens', () => {
  it('tells a waiting visitor their place, the people ahead, an estimate and when to poll again (later the further back)', async () => {
    const { url } = await start({ ESTIMATE_VISIT_SECONDS: '20' });
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 2 });
    const visitors = [];
    for (let i = 0; i < 60; i++) {
      const session = newSession();
      visitors.push({ session, body: await (await join(url, showId, session)).json() });
    }
    expect(visitors.slice(0, 2).map((v) => v.body.status.state)).toEqual(['admitted', 'admitted']);
    const front = await (await status(url, showId, visitors[2].body.token, visitors[2].session)).json();
    expect(front).toMatchObject({ state: 'waiting', place: 3, ahead: 0, waiting: 58 });
    expect(front.message).toMatch(/You are next/);
    const back = await (await status(url, showId, visitors[59].body.token, visitors[59].session)).json();
    expect(back).toMatchObject({ state: 'waiting', place: 60, ahead: 57 });
    // Unmeasured pace: a visit (20 s) per slot, 2 slots: 10 s per person.
    // 58 visits of 10 s, less what the first ones have already used (the joins take a moment under load).
    expect(back.estimatedWaitSeconds).toBeLessThanOrEqual(58 * 10);
    expect(back.estimatedWaitSeconds).toBeGreaterThan(58 * 10 - 15);
    expect(back.estimate).toBe('about 10 minutes');
    expect(front.estimate).toBe('less than a minute');
    expect(back.pollAfterMs).toBeGreaterThan(front.pollAfterMs);
    expect(back.pollAfterMs).toBeLessThanOrEqual(20_000);
    expect(front.pollAfterMs).toBeGreaterThanOrEqual(1_000);

    // The admitted get an access token for the zone, bound to the same show and session.
    const admitted = await (await status(url, showId, visitors[0].body.token, visitors[0].session)).json();
    expect(admitted.state).toBe('admitted');
    expect(admitted.enterUrl).toBe(`/checkout/${showId}?access=${admitted.accessToken}`);
    const signer = new TokenSigner(JSON.parse(TEST_SIGNING_KEYS));
    expect(
      signer.verify(admitted.accessToken, { typ: 'access', show: showId, session: visitors[0].session }),
    ).toMatchObject({ vid: visitors[0].body.visitor, place: 1 });
    expect(() =>
      signer.verify(admitted.accessToken, { typ: 'queue', show: showId, session: visitors[0].session }),
    ).toThrow(/access token, not a queue token/);
  });

  it('refuses forged, altered, expired, foreign and other shows’ tokens with 401 or 403 and a clear message', async () => {
    const { url } = await start();
    const showId = await addTestShow(db.url, { seats: 20 });
    const otherShow = await addTestShow(db.url, { seats: 20 });
    const session = newSession();
    const { token } = await (await join(url, showId, session)).json();
    expect((await status(url, showId, token, session)).status).toBe(200);

    const [kid, payload, sig] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const altered = `${kid}.${Buffer.from(JSON.stringify({ ...claims, vid: claims.vid + 1 })).toString('base64url')}.${sig}`;
    const forged = new TokenSigner({ k1: 'not-our-key-but-long-enough-0123456789' }).sign(claims);
    const expired = new TokenSigner(JSON.parse(TEST_SIGNING_KEYS)).sign({
      ...claims,
      exp: Math.floor(Date.now() / 1000) - 1,
    });
    const unknownKey = new TokenSigner({ k9: 'another-key-long-enough-0123456789abc' }).sign(claims);
    const cases: [string, string, string, number, RegExp][] = [
      ['altered', altered, session, 401, /forged or altered/],
      ['forged', forged, session, 401, /forged or altered/],
      ['expired', expired, session, 401, /expired/],
      ['unknown key', unknownKey, session, 401, /unknown key/],
      ['malformed', 'not-a-token', session, 401, /malformed/],
      ['foreign', token, newSession(), 403, /another session/],
    ];
    for (const [name, t, s, code, message] of cases) {
      const res = await status(url, showId, t, s);
      expect([name, res.status]).toEqual([name, code]);
      expect([name, (await res.json()).message]).toEqual([name, expect.stringMatching(message)]);
    }
    const elsewhere = await status(url, otherShow, token, session);
    expect(elsewhere.status).toBe(403);
    expect((await elsewhere.json()).message).toMatch(/another show/);
    const none = await fetch(`${url}/waiting-room/api/shows/${showId}/status`, {
      headers: { 'x-session-id': session },
    });
    expect(none.status).toBe(401);
  });

  it('keeps tokens signed with an older key valid after a new key is added, and signs new ones with the new key', async () => {
    const first = await start();
    const showId = await addTestShow(db.url, { seats: 20 });
    const session = newSession();
    const { token } = await (await join(first.url, showId, session)).json();
    expect(token.startsWith('k1.')).toBe(true);
    const rotated = await start({
      TOKEN_SIGNING_KEYS: JSON.stringify({
        ...JSON.parse(TEST_SIGNING_KEYS),
        k2: 'the-new-key-0123456789-0123456789-xyz',
      }),
    });
    expect((await status(rotated.url, showId, token, session)).status).toBe(200);
    const fresh = await (await join(rotated.url, showId, newSession())).json();
    expect(fresh.token.startsWith('k2.')).toBe(true);
  });

  it('lets a visitor leave: their place is freed and their status says so', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 20, zoneCapacity: 1 });
    await join(url, showId, newSession());
    const session = newSession();
    const { token, visitor } = await (await join(url, showId, session)).json();
    expect(await fn.ctx.redis.zcard(roomKeys(showId).queue)).toBe(1);
    const left = await fetch(`${url}/waiting-room/api/shows/${showId}/token`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}`, 'x-session-id': session },
    });
    expect(await left.json()).toEqual({ showId, state: 'left', leftFrom: 'waiting' });
    expect(await fn.ctx.redis.zcard(roomKeys(showId).queue)).toBe(0);
    expect((await (await status(url, showId, token, session)).json()).state).toBe('left');
    // Joining again is a new place at the back.
    const again = await (await join(url, showId, session)).json();
    expect(again.visitor).not.toBe(visitor);
    expect(again.status.place).toBe(3);
  });
  it('says sold out while waiting even when the other shows cannot be looked up (none listed, a warning logged), never an error', async () => {
    const { url, fn, logs } = await start();
    const showId = await addTestShow(db.url, { seats: 20, zoneCapacity: 1 });
    await join(url, showId, newSession());
    const session = newSession();
    const { token } = await (await join(url, showId, session)).json();
    // The last seats sold while they wait; the catalog's tables out of reach (as in an outage).
    await fn.ctx.redis.hset(roomKeys(showId).room, 'seatsSoldOut', '1');
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query('ALTER TABLE render_catalog.movies RENAME TO movies_out_of_reach');
    try {
      const res = await status(url, showId, token, session);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ state: 'sold_out', alternatives: [] });
      expect(logs.some((l) => l.level === 'warn' && /other shows could not be looked up/.test(String(l.msg)))).toBe(
        true,
      );
    } finally {
      await c.query('ALTER TABLE render_catalog.movies_out_of_reach RENAME TO movies');
      await c.end();
    }
  });
});

describe('status from the snapshot', () => {
  it('counts the people ahead as the line does, gaps included, from a snapshot at most STATUS_SNAPSHOT_MS old', async () => {
    const { url, fn } = await start({ STATUS_SNAPSHOT_MS: '200' });
    const showId = await addTestShow(db.url, { seats: 200, zoneCapacity: 3 });
    const visitors = [];
    for (let i = 0; i < 80; i++) {
      const session = newSession();
      visitors.push({ session, ...(await (await join(url, showId, session)).json()) });
    }
    // A quarter give up, anywhere in the line.
    const leaving = visitors.slice(3).filter((_, i) => i % 4 === 1);
    for (const v of leaving) {
      await fetch(`${url}/waiting-room/api/shows/${showId}/token`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${v.token}`, 'x-session-id': v.session },
      });
    }
    await new Promise((r) => setTimeout(r, 250));
    const queueKey = roomKeys(showId).queue;
    for (const v of visitors.slice(3)) {
      const s = await (await status(url, showId, v.token, v.session)).json();
      if (leaving.includes(v)) {
        expect(s.state).toBe('left');
        continue;
      }
      expect(s.state).toBe('waiting');
      expect(s.ahead).toBe(await fn.ctx.redis.zrank(queueKey, String(v.visitor)));
    }
    // Polls mark the visitor as seen, in the snapshot's next refresh.
    const last = visitors[79];
    const before = Number(await fn.ctx.redis.hget(`${roomKeys(showId).visitorPrefix}${last.visitor}`, 'lastSeen'));
    await new Promise((r) => setTimeout(r, 250));
    await status(url, showId, last.token, last.session);
    await new Promise((r) => setTimeout(r, 250));
    await status(url, showId, visitors[78].token, visitors[78].session);
    expect(
      Number(await fn.ctx.redis.hget(`${roomKeys(showId).visitorPrefix}${last.visitor}`, 'lastSeen')),
    ).toBeGreaterThan(before);
  });
});

describe('pages', () => {
  it('serves a light, cacheable waiting-room page; without JavaScript a button joins and the status page refreshes itself', async () => {
    const { url } = await start();
    const page = await fetch(`${url}/waiting-room/${PREMIERE_SHOW_ID}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('public, max-age=60, s-maxage=60');
    expect(page.headers.get('set-cookie')).toBeNull();
    const html = await page.text();
    expect(html).toContain('<h1 class="show-title">The Last Starfall</h1>');
    expect(html).toContain('Cine Paulista, São Paulo · VIP');
    expect(html).toContain(`<form id="join" method="post" action="/waiting-room/${PREMIERE_SHOW_ID}/join">`);
    // Light as a phone downloads it (the edge gzips): its styles, leave dialog and script's messages, in one language.
    expect(gzipSync(html).length).toBeLessThan(8_000); // about 6 KB

    const joined = await fetch(`${url}/waiting-room/${PREMIERE_SHOW_ID}/join`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(joined.status).toBe(303);
    expect(joined.headers.get('location')).toBe(`/waiting-room/${PREMIERE_SHOW_ID}/status`);
    const cookie = joined.headers.get('set-cookie')!.split(';')[0];
    const statusPage = await fetch(`${url}/waiting-room/${PREMIERE_SHOW_ID}/status`, { headers: { cookie } });
    expect(statusPage.headers.get('cache-control')).toBe('no-store');
    const body = await statusPage.text();
    // A quiet room: admitted at once, and the page moves on to seat selection by itself.
    expect(body).toMatch(
      new RegExp(`<meta http-equiv="refresh" content="0;url=/checkout/${PREMIERE_SHOW_ID}\\?access=`),
    );

    const noSession = await fetch(`${url}/waiting-room/${PREMIERE_SHOW_ID}/status`, { redirect: 'manual' });
    expect(noSession.status).toBe(303);
  });
});

describe('bad input', () => {
  it('answers unknown shows, malformed ids, bad session ids and oversized bodies with 4xx, and changes nothing', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 20 });
    const unknown = await join(url, 'no-such-show', newSession());
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).message).toBe('no such show');
    expect((await fetch(`${url}/waiting-room/no-such-show`)).status).toBe(404);

    const malformed = await join(url, 'Bad_Id!', newSession());
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).message).toMatch(/"showId" must be a show id/);

    const badSession = await join(url, showId, 'short');
    expect(badSession.status).toBe(400);
    expect((await badSession.json()).message).toMatch(/"x-session-id" must be 16 to 128/);

    const big = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-session-id': newSession() },
      body: JSON.stringify({ pad: 'x'.repeat(5_000) }),
    });
    expect(big.status).toBe(413);

    for (const [method, path] of [
      ['GET', '/waiting-room/api/shows/Bad_Id!/status'],
      ['DELETE', '/waiting-room/api/shows/Bad_Id!/token'],
      ['GET', '/waiting-room/Bad_Id!'],
      ['POST', '/waiting-room/Bad_Id!/join'],
    ]) {
      expect([
        path,
        (
          await fetch(`${url}${path}`, {
            method,
            headers: { authorization: 'Bearer x.y.z', 'x-session-id': newSession() },
          })
        ).status,
      ]).toEqual([path, 400]);
    }
    const bigForm = await fetch(`${url}/waiting-room/${showId}/join`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `pad=${'x'.repeat(5_000)}`,
    });
    expect(bigForm.status).toBe(413);
    const badAuth = await fetch(`${url}/waiting-room/api/shows/${showId}/status`, {
      headers: { authorization: 'Basic abc', 'x-session-id': newSession() },
    });
    expect(badAuth.status).toBe(400);

    // Nothing was issued: the room holds no token, and no room was made for the unknown show.
    expect(await fn.ctx.redis.hget(roomKeys(showId).room, 'issued')).toBeNull();
    expect(await fn.ctx.redis.exists(roomKeys('no-such-show').room)).toBe(0);
  });
});

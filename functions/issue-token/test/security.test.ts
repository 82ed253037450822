import pg from 'pg';
import { createFunction, type Redis, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import { roomKeys } from '@premiere/waiting-room';
import { issueToken } from '../src';

/**
 * The waiting room's door, tried as an attacker would: one address asking for a show's tokens
 * under ever new session ids. Each test sends the attacker's requests with the deployment's
 * defaults (no limit turned off), checks the refusal, and proves that nothing beyond the limit
 * changed: tokens issued, the quota, the listing, the catalog's events.
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

/** issue-token with the deployment's defaults, unless a test says otherwise. */
async function start(env: Record<string, string> = {}) {
  const fn = createFunction(
    issueToken,
    testEnv(db, redis.prefix, { TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS, STATUS_SNAPSHOT_MS: '0', ...env }),
    captureLogs().stream,
  );
  running.push(fn);
  await fn.start();
  return { fn, url: `http://127.0.0.1:${fn.server.info.port}` };
}

let sessions = 0;
const newSession = () => `security-session-${process.pid}-${++sessions}-abcdef`;
async function join(url: string, showId: string, address: string, session = newSession()) {
  const res = await fetch(`${url}/waiting-room/api/shows/${showId}/join`, {
    method: 'POST',
    headers: { 'x-session-id': session, 'x-client-address': address },
  });
  return { session, status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
}
const leave = (url: string, showId: string, v: { session: string; body: { token: string } }) =>
  fetch(`${url}/waiting-room/api/shows/${showId}/token`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${v.body.token}`, 'x-session-id': v.session },
  });

/** Everything a join may change in a show's room, but the rate limits' own counters. */
async function roomState(r: Redis, showId: string) {
  const {
    room,
    sessions: sessionsKey,
    queue,
    prequeue,
    inside,
    visitorPrefix,
    availability,
    addresses,
  } = roomKeys(showId);
  const hash = await r.hgetall(room);
  const visitors = [];
  for (let v = 1; v <= Number(hash.issued ?? 0); v++) visitors.push(await r.hgetall(`${visitorPrefix}${v}`));
  return {
    room: hash,
    sessions: await r.hgetall(sessionsKey),
    queue: await r.zrange(queue, 0, -1),
    prequeue: await r.zcard(prequeue),
    inside: await r.zrange(inside, 0, -1),
    visitors,
    availability: await r.get(availability),
    addresses: await r.hgetall(addresses),
  };
}

async function availabilityEvents(showId: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const { rows } = await c.query(
      "SELECT data FROM issue_token.outbox WHERE type = 'premiere.show.availability.changed' AND subject = $1 ORDER BY id",
      [showId],
    );
    return rows.map((r) => r.data.availability);
  } finally {
    await c.end();
  }
}

describe('one address cannot drain a show’s tokens', () => {
  it('105 joins under new session ids from one address in a burst take a small share of a 96-seat show; everyone else still gets in', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 96 }); // overbooking 10%: 105 tokens
    const attacker = '203.0.113.66';
    const answers = await Promise.all(Array.from({ length: 105 }, () => join(url, showId, attacker)));

    // The address's share: max(ADDRESS_TOKEN_CAP_MIN 4, ⌊ADDRESS_TOKEN_CAP_SHARE 5% × 105⌋) = 5.
    const taken = answers.filter((a) => a.status === 201);
    expect(taken).toHaveLength(5);
    const refused = answers.filter((a) => a.status !== 201);
    expect(new Set(refused.map((a) => a.status))).toEqual(new Set([429]));
    expect(refused[0].body).toMatchObject({ error: 'Too Many Requests', limit: 'address_tokens' });
    expect(refused[0].body.message).toMatch(
      /this address already holds 5 tokens for this show, the most one address may hold/,
    );
    expect(Number(refused[0].retryAfter)).toBeGreaterThan(0);

    // Nothing beyond the limit changed: 5 tokens issued of 105, the listing untouched, no event.
    const room = await fn.ctx.redis.hgetall(roomKeys(showId).room);
    expect({ issued: room.issued, quota: room.quota }).toEqual({ issued: '5', quota: '105' });
    expect(await fn.ctx.redis.hlen(roomKeys(showId).sessions)).toBe(5);
    expect(await fn.ctx.redis.get(roomKeys(showId).availability)).toBeNull(); // listed as available
    expect(await availabilityEvents(showId)).toEqual([]);

    // Every later visitor, from anywhere else, gets a token.
    for (let i = 0; i < 20; i++) expect((await join(url, showId, `198.51.100.${i + 1}`)).status).toBe(201);
  });

  it('refuses further tokens with 429 and changes nothing but the limit’s counter', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 24, overbooking: 0.1 }); // 26 tokens: the address may hold 4
    const attacker = '203.0.113.67';
    for (let i = 0; i < 4; i++) expect((await join(url, showId, attacker)).status).toBe(201);
    const before = await roomState(fn.ctx.redis, showId);
    for (let i = 0; i < 10; i++) {
      const refused = await join(url, showId, attacker);
      expect(refused.status).toBe(429);
      expect(refused.body.limit).toBe('address_tokens');
    }
    expect(before.addresses).toEqual({ [attacker]: '4' });
    expect(await roomState(fn.ctx.redis, showId)).toEqual(before);
    expect(await availabilityEvents(showId)).toEqual([]);
  });

  it('throttles bursts of new tokens from one address before the quota is touched; re-joins of a session are not new tokens', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 1000 }); // 1,100 tokens: the address may hold 55
    const attacker = '203.0.113.68';
    const answers = await Promise.all(Array.from({ length: 30 }, () => join(url, showId, attacker)));
    const taken = answers.filter((a) => a.status === 201);
    expect(taken).toHaveLength(10); // ADDRESS_NEW_TOKEN_RATE: 10 a minute
    const refused = answers.filter((a) => a.status !== 201);
    expect(new Set(refused.map((a) => a.status))).toEqual(new Set([429]));
    expect(refused[0].body.limit).toBe('address_new_tokens');
    expect(refused[0].body.message).toMatch(
      /too many new tokens from this address \(10 a minute per show\); try again in \d+ s/,
    );
    const retryAfter = Number(refused[0].retryAfter);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await fn.ctx.redis.hget(roomKeys(showId).room, 'issued')).toBe('10');
    // A session that has its token gets it again: not a new token, not throttled.
    for (const t of taken) {
      const again = await join(url, showId, attacker, t.session);
      expect(again.status).toBe(200);
      expect(again.body.token).toBe(t.body.token);
    }
    expect(await fn.ctx.redis.hget(roomKeys(showId).room, 'issued')).toBe('10');
  });

  it('gives the address its share back as its tokens come back', async () => {
    const { url } = await start();
    const showId = await addTestShow(db.url, { seats: 24, overbooking: 0.1, zoneCapacity: 1 });
    const address = '198.51.100.200'; // an office: four colleagues, then a fifth
    const colleagues = [];
    for (let i = 0; i < 4; i++) colleagues.push(await join(url, showId, address));
    expect(colleagues.map((c) => c.status)).toEqual([201, 201, 201, 201]);
    expect((await join(url, showId, address)).status).toBe(429);
    expect((await leave(url, showId, colleagues[2])).status).toBe(200);
    expect((await join(url, showId, address)).status).toBe(201);
    expect((await join(url, showId, address)).status).toBe(429);
  });

  it('counts an IPv6 subscriber’s /64 as one address, and an IPv4-mapped address as its IPv4 one', async () => {
    const { url } = await start();
    const showId = await addTestShow(db.url, { seats: 24, overbooking: 0.1 });
    const sameSubscriber = [
      '2001:db8:1:2::1',
      '2001:db8:1:2:ffff::9',
      '2001:0db8:0001:0002:a:b:c:d',
      '2001:db8:1:2:0:0:0:7',
      '2001:db8:1:2::1:2',
    ];
    const codes = [];
    for (const a of sameSubscriber) codes.push((await join(url, showId, a)).status);
    expect(codes).toEqual([201, 201, 201, 201, 429]);
    expect((await join(url, showId, '2001:db8:1:3::1')).status).toBe(201); // the next /64: someone else

    const v4 = [];
    for (const a of ['192.0.2.10', '::ffff:192.0.2.10', '192.0.2.10', '::FFFF:192.0.2.10', '192.0.2.10'])
      v4.push((await join(url, showId, a)).status);
    expect(v4).toEqual([201, 201, 201, 201, 429]);
  });

  it('lets an operator turn both limits off (ADDRESS_TOKEN_CAP_MIN=0, ADDRESS_TOKEN_CAP_SHARE=0, ADDRESS_NEW_TOKEN_RATE=0), as the burst does', async () => {
    const { url, fn } = await start({
      ADDRESS_TOKEN_CAP_MIN: '0',
      ADDRESS_TOKEN_CAP_SHARE: '0',
      ADDRESS_NEW_TOKEN_RATE: '0',
      JOIN_RATE_PER_ADDRESS: '0',
    });
    const showId = await addTestShow(db.url, { seats: 20, overbooking: 0 });
    const answers = await Promise.all(Array.from({ length: 30 }, () => join(url, showId, '127.0.0.1')));
    expect(answers.filter((a) => a.status === 201)).toHaveLength(20);
    expect(answers.filter((a) => a.status === 410)).toHaveLength(10);
    expect(await fn.ctx.redis.hget(roomKeys(showId).room, 'issued')).toBe('20');
  });
});

describe('joins and leaves come only from the site’s own pages (cross-site request forgery)', () => {
  // What a browser sends when a malicious page posts to the waiting room: its own origin, marked
  // cross-site, a "simple" content type that needs no CORS preflight, and no cookie (SameSite=Lax).
  const SITE = 'premiere.example';
  const evil = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'x-forwarded-host': SITE };
  let visitors = 0; // each from an address of their own: the per-address limits are the tests above
  const post = (url: string, path: string, headers: Record<string, string>, body = 'x') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'text/plain', 'x-client-address': `192.0.2.${++visitors}`, ...headers },
      body,
    });

  it('refuses a cross-site join, API and form, with 403 saying why, and changes nothing: no token, no session', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 24 });
    expect((await join(url, showId, '198.51.100.7')).status).toBe(201); // the room exists, one token issued
    const before = await roomState(fn.ctx.redis, showId);

    const attempts = [
      { path: `/waiting-room/api/shows/${showId}/join`, headers: evil },
      {
        path: `/waiting-room/${showId}/join`,
        headers: { ...evil, 'content-type': 'application/x-www-form-urlencoded' },
      },
      // Either sign alone is enough: an older browser sends no Sec-Fetch-Site; a privacy proxy may drop Origin.
      {
        path: `/waiting-room/api/shows/${showId}/join`,
        headers: { origin: 'https://evil.example', 'x-forwarded-host': SITE },
      },
      {
        path: `/waiting-room/api/shows/${showId}/join`,
        headers: { 'sec-fetch-site': 'cross-site', 'x-forwarded-host': SITE },
      },
      // An opaque origin (a sandboxed frame, a page from a file) is nobody's.
      { path: `/waiting-room/api/shows/${showId}/join`, headers: { origin: 'null', 'x-forwarded-host': SITE } },
      // The same host on another port is another origin.
      {
        path: `/waiting-room/api/shows/${showId}/join`,
        headers: { origin: `https://${SITE}:8443`, 'x-forwarded-host': `${SITE}:443` },
      },
    ];
    for (const a of attempts) {
      const res = await post(url, a.path, a.headers);
      expect({ path: a.path, headers: a.headers, status: res.status }).toEqual({
        path: a.path,
        headers: a.headers,
        status: 403,
      });
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(res.headers.get('location')).toBeNull();
      expect(await res.text()).toMatch(/another site|outro site/);
    }
    expect(await roomState(fn.ctx.redis, showId)).toEqual(before);
    expect(before.room.issued).toBe('1');
  });

  it('refuses a cross-site leave, API and form, and the visitor keeps their place', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 24, zoneCapacity: 1 });
    await join(url, showId, '198.51.100.8'); // admitted: the visitor below waits
    const visitor = await join(url, showId, '198.51.100.9');
    expect(visitor.body.status.state).toBe('waiting');
    const before = await roomState(fn.ctx.redis, showId);

    // The form, as if the browser sent the visitor's cookie along (a browser without SameSite, an old one).
    const form = await post(url, `/waiting-room/${showId}/leave`, {
      ...evil,
      'content-type': 'application/x-www-form-urlencoded',
      cookie: `premiere_session=${visitor.session}`,
    });
    expect(form.status).toBe(403);
    expect(await form.text()).toMatch(/outro site/);
    const api = await fetch(`${url}/waiting-room/api/shows/${showId}/token`, {
      method: 'DELETE',
      headers: { ...evil, authorization: `Bearer ${visitor.body.token}`, 'x-session-id': visitor.session },
    });
    expect(api.status).toBe(403);
    expect((await api.json()).message).toMatch(/another site/);

    expect(await roomState(fn.ctx.redis, showId)).toEqual(before);
    expect(before.visitors[1].state).toBe('waiting');
  });

  it('lets the site’s own pages join and leave, and clients that send no Origin (apps, curl)', async () => {
    const { url, fn } = await start();
    const showId = await addTestShow(db.url, { seats: 24, zoneCapacity: 1 });
    const own = { origin: `https://${SITE}`, 'sec-fetch-site': 'same-origin', 'x-forwarded-host': SITE };

    const api = await post(url, `/waiting-room/api/shows/${showId}/join`, own);
    expect(api.status).toBe(201);
    expect(api.headers.get('set-cookie')).toMatch(/^premiere_session=/);
    const form = await post(url, `/waiting-room/${showId}/join`, {
      ...own,
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(303);
    const cookie = form.headers.get('set-cookie')!.split(';')[0];
    // The chart's NGINX forwards the host without its port ($host); the browser's Origin has it.
    expect(
      (
        await post(url, `/waiting-room/api/shows/${showId}/join`, {
          origin: 'http://localhost:8080',
          'sec-fetch-site': 'same-origin',
          'x-forwarded-host': 'localhost',
        })
      ).status,
    ).toBe(201);
    // No X-Forwarded-Host (not through the edge): the Host header is the site.
    expect(
      (await post(url, `/waiting-room/api/shows/${showId}/join`, { origin: url, 'sec-fetch-site': 'same-origin' }))
        .status,
    ).toBe(201);
    // Typed into the address bar, a bookmark: no site at all.
    expect((await post(url, `/waiting-room/api/shows/${showId}/join`, { 'sec-fetch-site': 'none' })).status).toBe(201);
    // An app, curl: neither header.
    const app = await join(url, showId, '198.51.100.10');
    expect(app.status).toBe(201);
    expect(await fn.ctx.redis.hget(roomKeys(showId).room, 'issued')).toBe('6');

    const left = await post(url, `/waiting-room/${showId}/leave`, {
      ...own,
      'content-type': 'application/x-www-form-urlencoded',
      cookie,
    });
    expect(left.status).toBe(200);
    // Not a dead end: the way back to the show's line is one tap away.
    expect(await left.text()).toContain(`<a class="button" href="/waiting-room/${showId}">`);
    expect((await leave(url, showId, app)).status).toBe(200);
    expect(await fn.ctx.redis.hget(roomKeys(showId).room, 'returned')).toBe('2');
  });
});

import type Hapi from '@hapi/hapi';
import pg from 'pg';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import { sessionHash, TokenSigner } from '@premiere/contracts';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  testEnv,
  type TestDatabase,
  loadDemoCatalog,
  addTestShow,
  NO_JOIN_LIMITS,
  TEST_ADMIN_TOKEN as ADMIN_TOKEN,
  TEST_SIGNING_KEYS as TOKEN_SIGNING_KEYS,
} from '@premiere/testing';
import { catalogSeats, createLegacyCinema } from '@premiere/simulators';
import { readRoomState, roomKeys } from '@premiere/waiting-room';
import { issueToken } from '@premiere/issue-token';
import { reserveSeat } from '../src';

// An admitted visitor whom Redis forgot (a failover to a replica that lagged lost their admission)
// comes to the zone with their access token: let in, and counted in the zone again, so that the
// zone's occupancy and their token's accounting hold.

let db: TestDatabase;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];
let legacy: Hapi.Server;
let catalog: pg.Pool;
const signer = new TokenSigner(JSON.parse(TOKEN_SIGNING_KEYS));

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
  catalog = new pg.Pool({ connectionString: db.url, max: 2 });
  legacy = createLegacyCinema({
    port: 0,
    seatsOf: catalogSeats(catalog),
    latencyMs: [5, 20],
    concurrencyLimit: 10,
    holdSeconds: 120,
    overload: '503',
    stallMs: 0,
  });
  await legacy.start();
});
afterAll(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
  await legacy.stop();
  await catalog.end();
  await db.drop();
  await redis.clean();
});

async function start<T extends Parameters<typeof createFunction>[0]>(definition: T, env: Record<string, string> = {}) {
  const fn = createFunction(
    definition,
    testEnv(db, redis.prefix, {
      TOKEN_SIGNING_KEYS,
      ADMIN_TOKEN,
      LEGACY_URL: `http://127.0.0.1:${legacy.info.port}`,
      ...env,
    }),
    process.env.DEBUG_LOGS ? undefined : captureLogs().stream,
  );
  running.push(fn);
  await fn.start();
  return { fn, url: `http://127.0.0.1:${fn.server.info.port}` };
}

it('lets an admitted visitor Redis forgot in with their access token, and counts them in the zone again', async () => {
  const tokens = await start(issueToken, NO_JOIN_LIMITS);
  const zone = await start(reserveSeat);
  const showId = await addTestShow(db.url, { seats: 20, zoneCapacity: 5 });
  const session = `forgotten-session-${process.pid}-abcdef`;
  const joined = await (
    await fetch(`${tokens.url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': session },
    })
  ).json();
  expect(joined.status.state).toBe('admitted'); // a quiet room: in at once
  const vid = joined.visitor as number;

  // Redis forgets them (their record and their slot), not the room.
  const { sessions, inside, visitorPrefix } = roomKeys(showId);
  await tokens.fn.ctx.redis.del(`${visitorPrefix}${vid}`);
  await tokens.fn.ctx.redis.hdel(sessions, sessionHash(session));
  await tokens.fn.ctx.redis.zrem(inside, String(vid));

  const now = Math.floor(Date.now() / 1000);
  const access = signer.sign({
    typ: 'access',
    show: showId,
    vid,
    place: joined.status.place,
    ses: sessionHash(session),
    iat: now,
    exp: now + 60,
  });
  const entered = await fetch(`${zone.url}/checkout/${showId}?access=${access}`, {
    headers: { 'x-session-id': session },
  });
  expect(entered.status).toBe(200);

  expect(await zone.fn.ctx.redis.zscore(inside, String(vid))).not.toBeNull();
  expect(await zone.fn.ctx.redis.hget(`${visitorPrefix}${vid}`, 'session')).toBe(sessionHash(session));
  expect(await readRoomState(zone.fn.ctx.redis, showId)).toMatchObject({ inside: 1, tokensLive: 1 });
});

it('lets in an admitted visitor whose waiting page polled (and put them back in line) before they entered', async () => {
  const tokens = await start(issueToken, { ...NO_JOIN_LIMITS, RECOVERY_GRACE_SECONDS: '60', STATUS_SNAPSHOT_MS: '0' });
  const zone = await start(reserveSeat);
  const showId = await addTestShow(db.url, { seats: 20, zoneCapacity: 5 });
  const session = `polled-first-session-${process.pid}-abcdef`;
  const joined = await (
    await fetch(`${tokens.url}/waiting-room/api/shows/${showId}/join`, {
      method: 'POST',
      headers: { 'x-session-id': session },
    })
  ).json();
  expect(joined.status.state).toBe('admitted');
  const access = joined.status.accessToken as string;

  await redis.clean(); // Redis forgets the show
  const polled = await (
    await fetch(`${tokens.url}/waiting-room/api/shows/${showId}/status`, {
      headers: { authorization: `Bearer ${joined.token}`, 'x-session-id': session },
    })
  ).json();
  expect(polled).toMatchObject({ state: 'waiting', place: joined.status.place }); // back at their place, the line held

  const entered = await fetch(`${zone.url}/checkout/${showId}?access=${access}`, {
    headers: { 'x-session-id': session },
  });
  expect(entered.status).toBe(200);
  const { inside } = roomKeys(showId);
  expect(await zone.fn.ctx.redis.zscore(inside, String(joined.visitor))).not.toBeNull();
});

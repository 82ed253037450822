import { randomUUID } from 'node:crypto';
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
  loadDemoCatalog,
  addTestShow,
  TEST_ADMIN_TOKEN,
  TEST_SIGNING_KEYS,
} from '@premiere/testing';
import { readRoomState, roomKeys, ShowQueue, TokenLedger } from '@premiere/waiting-room';
import { admitBatch } from '../src';

// The bouncer's side of a Redis that forgot a show: events and sweeps for the show rebuild its room
// from what is durable (the token ledger, reserve-seat's visits, the operators' last settings)
// instead of failing (a 500 loop, then dead letters), and the zone holds whom reserve-seat says.

let db: TestDatabase;
let client: pg.Client;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  await loadDemoCatalog(db.url);
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});
afterAll(async () => {
  await client.end();
  await db.drop();
  await redis.clean();
});

async function startBouncer() {
  const fn = createFunction(
    admitBatch,
    testEnv(db, redis.prefix, {
      TOKEN_SIGNING_KEYS: TEST_SIGNING_KEYS,
      ADMIN_TOKEN: TEST_ADMIN_TOKEN,
      RECOVERY_GRACE_SECONDS: '60',
    }),
    captureLogs().stream,
  );
  running.push(fn);
  await fn.start();
  return { fn, url: `http://127.0.0.1:${fn.server.info.port}` };
}

function event(url: string, type: string, data: object) {
  const m = HTTP.binary(new CloudEvent({ id: randomUUID(), source: 'test', type, data }));
  return fetch(`${url}/events`, {
    method: 'POST',
    headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
    body: m.body as string,
  });
}

/** A show that issued `issued` tokens before Redis forgot it, with reserve-seat's visits of some of them. */
async function showThatIssued(issued: number, visits: { visitor: number; open: boolean; seats?: boolean }[]) {
  const showId = await addTestShow(db.url, { seats: 40, overbooking: 0, zoneCapacity: 5 });
  await client.query('INSERT INTO issue_token.token_ledger (show_id, reserved) VALUES ($1, $2)', [showId, issued]);
  for (const v of visits) {
    await client.query(
      `INSERT INTO reserve_seat.visits (show_id, visitor, session_hash, entered_at, ends_at, ended_at, end_reason)
         VALUES ($1, $2, $3, now() - interval '1 minute', now() + interval '5 minutes', $4, $5)`,
      [
        showId,
        v.visitor,
        `session-${v.visitor}`,
        v.open ? null : new Date(),
        v.open ? null : v.seats ? 'order_confirmed' : 'given_up',
      ],
    );
    if (v.seats) {
      await client.query(
        `INSERT INTO reserve_seat.orders (id, show_id, visitor, session_hash, state, hold_expires_at, currency, total_cents)
           VALUES ($1, $2, $3, $4, 'confirmed', now(), 'BRL', 5000)`,
        [randomUUID(), showId, v.visitor, `session-${v.visitor}`],
      );
    }
  }
  return showId;
}

describe('when Redis forgot a show', () => {
  it('rebuilds its room on the next event for it: the zone holds the open visits, ended ones count as seats or given back, nobody else is admitted yet', async () => {
    const { url, fn } = await startBouncer();
    const showId = await showThatIssued(10, [
      { visitor: 1, open: false, seats: true },
      { visitor: 2, open: false },
      { visitor: 3, open: true },
      { visitor: 4, open: true },
    ]);
    expect(await fn.ctx.redis.exists(roomKeys(showId).room)).toBe(0);

    // Visitor 2's hold ran out, which ended their visit (reserve-seat wrote it before telling).
    const res = await event(url, 'premiere.hold.expired', { showId, visitor: 2, orderId: randomUUID() });
    expect(res.status).toBeLessThan(300);

    const state = await readRoomState(fn.ctx.redis, showId);
    // Their token is given back once (the rebuild already counted it), not twice.
    expect(state).toMatchObject({ tokensIssued: 10, tokensReturned: 1, inside: 2, waiting: 0, admitted: 0 });
    const inside = await fn.ctx.redis.zrange(roomKeys(showId).inside, 0, -1);
    expect(inside.sort()).toEqual(['3', '4']);
  });

  it('keeps what the operators set: a paused or drained show stays so', async () => {
    const { url, fn } = await startBouncer();
    const showId = await showThatIssued(5, []);
    await client.query(
      `INSERT INTO admit_batch.admin_actions (show_id, action, before, after, client) VALUES ($1, 'pause', '{}', $2, 'test')`,
      [
        showId,
        {
          paused: true,
          draining: true,
          capacity: 3,
          capacityAdaptive: false,
          capacityBase: 3,
          overbooking: 0.5,
          quota: 60,
          addressTokenCap: 2,
        },
      ],
    );
    expect((await event(url, 'premiere.visitors.waiting', { showId })).status).toBeLessThan(300);
    const state = await readRoomState(fn.ctx.redis, showId);
    expect(state).toMatchObject({
      paused: true,
      draining: true,
      capacity: 3,
      capacityAdaptive: false,
      overbooking: 0.5,
      quota: 60,
      addressTokenCap: 2,
    });
  });

  it('rebuilds on the sweep a room nobody asks about', async () => {
    const { url, fn } = await startBouncer();
    const showId = await showThatIssued(3, [{ visitor: 2, open: true }]);
    const m = HTTP.binary(
      new CloudEvent({
        id: randomUUID(),
        source: 'test',
        type: 'dev.knative.sources.ping',
        data: { schedule: 'admission-sweep' },
      }),
    );
    const res = await fetch(`${url}/events`, {
      method: 'POST',
      headers: { ...(m.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
      body: m.body as string,
    });
    expect(res.status).toBeLessThan(300);
    expect(await readRoomState(fn.ctx.redis, showId)).toMatchObject({ tokensIssued: 3, inside: 1 });
  });

  it('answers an event for a show nobody knows without a retry loop', async () => {
    const { url } = await startBouncer();
    expect(
      (await event(url, 'premiere.hold.expired', { showId: 'no-such-show', visitor: 1, orderId: randomUUID() })).status,
    ).toBeLessThan(300);
  });
});

it('records the tokens it passes over, so that a rebuilt room knows their holders left', async () => {
  const { url, fn } = await startBouncer();
  const showId = await addTestShow(db.url, { seats: 40, overbooking: 0, zoneCapacity: 1 });
  const queue = ShowQueue.of(fn.ctx.redis, showId);
  const ledger = new TokenLedger(fn.ctx.db);
  const limits = {
    perAddress: 0,
    perSession: 0,
    windowMs: 60_000,
    newTokensPerAddress: 0,
    addressTokenCap: { min: 0, share: 0 },
  };
  expect((await event(url, 'premiere.visitors.waiting', { showId })).status).toBeLessThan(300); // the room made
  await queue.join('session-in', '198.51.100.1', 60_000, 60_000, limits, ledger); // admitted at once
  const gone = await queue.join('session-gone', '198.51.100.2', 60_000, 60_000, limits, ledger); // waits, never polls
  await fn.ctx.redis.zrem(roomKeys(showId).inside, '1'); // the first one's slot frees
  await fn.ctx.redis.hset(`${roomKeys(showId).visitorPrefix}${(gone as { visitor: number }).visitor}`, 'lastSeen', 0); // unseen for long
  expect((await event(url, 'premiere.visitors.waiting', { showId })).status).toBeLessThan(300);
  const { rows } = await client.query(
    'SELECT visitor, session_hash, reason FROM issue_token.returned_tokens WHERE show_id = $1',
    [showId],
  );
  expect(rows).toEqual([
    { visitor: (gone as { visitor: number }).visitor, session_hash: 'session-gone', reason: 'passed_over' },
  ]);

  await redis.clean();
  expect((await event(url, 'premiere.visitors.waiting', { showId })).status).toBeLessThan(300); // rebuilt
  expect(
    await fn.ctx.redis.hget(`${roomKeys(showId).visitorPrefix}${(gone as { visitor: number }).visitor}`, 'state'),
  ).toBe('left');
});

it('lists for the operators every show that issued tokens, its room rebuilt if Redis forgot it', async () => {
  const { url, fn } = await startBouncer();
  const showId = await showThatIssued(4, [{ visitor: 1, open: true }]);
  const res = await fetch(`${url}/admin/api/shows`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  const listed = (await res.json()).shows.find((s: { showId: string }) => s.showId === showId);
  expect(listed).toMatchObject({ tokensIssued: 4, inside: 1 });
  expect(listed.recoveringUntil).not.toBeNull();
  expect(await fn.ctx.redis.exists(roomKeys(showId).room)).toBe(1);
});

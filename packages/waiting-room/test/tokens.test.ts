import pg from 'pg';
import { createRedis, defineScripts, type Redis } from '@premiere/runtime';
import { createTestDatabase, createTestRedisPrefix, TEST_REDIS_URL, type TestDatabase } from '@premiere/testing';
import { roomKeys, RoomScripts, ShowQueue, TokenLedger, WAITING_ROOM_SCRIPTS, type JoinLimits } from '../src';

/**
 * The quota's accounting in the scripts themselves, under the races a deployment sees: several
 * bouncer replicas, redelivered events, a visitor leaving while their visit ends, joins while
 * tokens come back. A token comes back at most once, never after it became seats, and the live
 * tokens (issued − returned) are never more than the quota nor different from what the visitors
 * and addresses hold.
 */

const prefix = createTestRedisPrefix();
let redis: Redis;
let db: TestDatabase;
let pool: pg.Pool;
/** Visitor numbers come from the durable token ledger, as in issue-token. */
let ledger: TokenLedger;

beforeAll(async () => {
  db = await createTestDatabase();
  pool = new pg.Pool({ connectionString: db.url });
  ledger = new TokenLedger(pool);
  redis = createRedis({ url: TEST_REDIS_URL, keyPrefix: prefix.prefix });
  defineScripts(redis, WAITING_ROOM_SCRIPTS);
  await new Promise((ready) => redis.once('ready', ready)); // commands are not queued while connecting
});
afterAll(async () => {
  redis.disconnect();
  await prefix.clean();
  await pool.end();
  await db.drop();
});

const NO_LIMITS: JoinLimits = {
  perAddress: 0,
  perSession: 0,
  windowMs: 60_000,
  newTokensPerAddress: 0,
  addressTokenCap: { min: 0, share: 0 },
};
const HOUR = 3_600_000;
let shows = 0;

/** A room as ensureRoom makes it, without the catalog. */
async function room(quota: number, capacity: number): Promise<ShowQueue> {
  const showId = `tokens-${process.pid}-${++shows}`;
  const now = Date.now();
  const fields = {
    seats: quota,
    quota,
    overbooking: 0,
    capacity,
    capacityBase: capacity,
    issued: 0,
    seq: 0,
    admitted: 0,
    paused: 0,
    draining: 0,
    opensAt: 0,
    opened: 0,
    startsAt: now + 2 * HOUR,
    expireAt: now + 8 * HOUR,
  };
  await RoomScripts.forShow(redis, showId).initRoom(fields);
  return new ShowQueue(redis, showId);
}

async function accounts(queue: ShowQueue) {
  const { room: roomKey, visitorPrefix, availability, addresses } = roomKeys(queue.showId);
  const r = await redis.hgetall(roomKey);
  const visitors = [];
  for (let v = 1; v <= Number(r.issued); v++)
    visitors.push({ visitor: v, ...(await redis.hgetall(`${visitorPrefix}${v}`)) });
  const held = await redis.hgetall(addresses);
  return {
    quota: Number(r.quota),
    issued: Number(r.issued),
    returned: Number(r.returned ?? 0),
    visitors,
    held,
    availability: await redis.get(availability),
  };
}

const shuffle = <T>(xs: T[]) =>
  xs
    .map((x) => [Math.random(), x] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, x]) => x);

describe('the quota’s accounting', () => {
  it('gives each token back at most once, and never one that became seats, under redeliveries and racing bouncers', async () => {
    const queue = await room(200, 200);
    // Everyone is let into the zone at once (a quiet room); every fourth lets the admission lapse.
    const lapsing = (v: number) => v % 4 === 0;
    for (let v = 1; v <= 200; v++) {
      const joined = await queue.join(
        `session-${v}`,
        `198.51.100.${v % 20}`,
        lapsing(v) ? 1 : HOUR,
        HOUR,
        NO_LIMITS,
        ledger,
      );
      expect(joined).toMatchObject({ outcome: 'new', visitor: v, state: 'admitted' });
    }
    expect((await queue.join('one-too-many', '198.51.100.99', HOUR, HOUR, NO_LIMITS, ledger)).outcome).toBe('sold_out');
    await new Promise((resolve) => setTimeout(resolve, 5));

    // Each visit ends one way or two (a hold given up, then an order confirmed, in either order),
    // every message three times, while bouncers reclaim the lapsed admissions at once.
    const ends: Record<number, Set<string>> = {};
    const work: (() => Promise<unknown>)[] = [];
    for (let v = 1; v <= 200; v++) {
      const ways = shuffle(['leave', 'none', 'seats', 'nothing']).slice(0, 1 + (v % 2));
      ends[v] = new Set(lapsing(v) ? [...ways, 'lapse'] : ways);
      for (const way of ways) {
        for (let k = 0; k < 3; k++) {
          if (way === 'leave') work.push(() => queue.leave(v));
          if (way === 'none' || way === 'seats') work.push(() => queue.finish(v, way));
        }
      }
    }
    for (let k = 0; k < 30; k++) work.push(() => queue.admit(HOUR, HOUR));
    await Promise.all(shuffle(work).map((w) => w()));

    const a = await accounts(queue);
    const seated = (v: number) => ends[v].has('seats');
    const gaveBack = (v: number) => !seated(v) && (ends[v].has('leave') || ends[v].has('none') || ends[v].has('lapse'));
    const expected = Object.keys(ends).map(Number).filter(gaveBack);
    expect(a.returned).toBe(expected.length);
    for (const visitor of a.visitors) {
      expect([visitor.visitor, visitor.returned === '1']).toEqual([visitor.visitor, gaveBack(visitor.visitor)]);
      expect([visitor.visitor, visitor.seated === '1']).toEqual([visitor.visitor, seated(visitor.visitor)]);
    }
    // Each address holds what its visitors still have in play (neither given back nor become seats).
    const live = a.visitors.filter((v) => v.returned !== '1');
    const byAddress: Record<string, string> = {};
    for (const v of live.filter((v) => v.seated !== '1'))
      byAddress[v.address] = String(Number(byAddress[v.address] ?? 0) + 1);
    expect(a.held).toEqual(byAddress);
    expect(a.issued - a.returned).toBe(live.length);
    expect(a.availability).toBe(a.quota - live.length <= 20 ? 'few_left' : 'available');
  });

  it('never lets live tokens exceed the quota while joins race returns', async () => {
    const queue = await room(50, 10);
    const first = [];
    for (let i = 0; i < 50; i++)
      first.push(await queue.join(`first-${i}`, `203.0.113.${i}`, HOUR, HOUR, NO_LIMITS, ledger));
    const leaving = first.slice(0, 25).map((j) => (j as { visitor: number }).visitor);
    const results = await Promise.all(
      shuffle<() => Promise<unknown>>([
        ...leaving.map((v) => () => queue.leave(v)),
        ...Array.from(
          { length: 60 },
          (_, i) => () => queue.join(`second-${i}`, `192.0.2.${i}`, HOUR, HOUR, NO_LIMITS, ledger),
        ),
      ]).map((w) => w()),
    );
    const newTokens = results.filter((r) => (r as { outcome?: string }).outcome === 'new').length;
    expect(newTokens).toBeLessThanOrEqual(25);
    // Whatever the order, the 25 tokens given back are there to take, and not one more.
    let more = 0;
    while (
      (await queue.join(`third-${more}`, `192.0.2.${100 + more}`, HOUR, HOUR, NO_LIMITS, ledger)).outcome === 'new'
    )
      more++;
    expect(newTokens + more).toBe(25);
    const a = await accounts(queue);
    expect(a.issued - a.returned).toBe(50);
    expect(a.availability).toBe('sold_out');
  });

  it('takes a token that had come back as seats when its order is confirmed after all, without taking its address’s share again', async () => {
    const queue = await room(3, 3);
    const [a] = [
      await queue.join('a', '198.51.100.1', HOUR, HOUR, NO_LIMITS, ledger),
      await queue.join('b', '198.51.100.1', HOUR, HOUR, NO_LIMITS, ledger),
    ];
    const visitor = (a as { visitor: number }).visitor;
    // 2 of 3 tokens live: "few left"; one back, then taken as seats after all.
    expect(await queue.leave(visitor)).toEqual({ leftFrom: 'admitted', availability: 'available' });
    expect((await accounts(queue)).held).toEqual({ '198.51.100.1': '1' });
    expect(await queue.finish(visitor, 'seats')).toEqual({ freed: false, token: -1, availability: 'few_left' });
    const after = await accounts(queue);
    expect({ returned: after.returned, held: after.held }).toEqual({ returned: 0, held: { '198.51.100.1': '1' } }); // b's: a's became seats
    expect(await queue.finish(visitor, 'none')).toEqual({ freed: false, token: 0, availability: '' }); // seats: never back
    expect((await accounts(queue)).returned).toBe(0);
  });
});

describe('a refused join says what the bouncer would give back', () => {
  const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

  it('a lapsed slot in the zone, or the head of the line unseen while the zone has room; nothing while paused, the zone full of live slots, or every seat sold', async () => {
    const lapsed = await room(1, 1);
    await lapsed.join('in', '198.51.100.1', 1, HOUR, NO_LIMITS, ledger); // admitted, for 1 ms
    await pause();
    expect(await lapsed.join('late', '198.51.100.2', HOUR, HOUR, NO_LIMITS, ledger)).toEqual({
      outcome: 'sold_out',
      reclaimable: 'lapsed',
    });
    await redis.hset(roomKeys(lapsed.showId).room, 'seatsSoldOut', 1);
    expect(await lapsed.join('late', '198.51.100.2', HOUR, HOUR, NO_LIMITS, ledger)).toEqual({
      outcome: 'sold_out',
      reclaimable: '',
    });

    const full = await room(2, 1);
    await full.join('in', '198.51.100.1', HOUR, HOUR, NO_LIMITS, ledger); // admitted
    await full.join('waits', '198.51.100.1', HOUR, HOUR, NO_LIMITS, ledger);
    await pause();
    expect(await full.join('late', '198.51.100.2', HOUR, 1, NO_LIMITS, ledger)).toEqual({
      outcome: 'sold_out',
      reclaimable: '',
    });

    const line = await room(2, 1);
    await redis.hset(roomKeys(line.showId).room, 'paused', 1); // everyone waits
    await line.join('a', '198.51.100.1', HOUR, HOUR, NO_LIMITS, ledger);
    await line.join('b', '198.51.100.1', HOUR, HOUR, NO_LIMITS, ledger);
    await pause();
    expect(await line.join('late', '198.51.100.2', HOUR, 1, NO_LIMITS, ledger)).toEqual({
      outcome: 'sold_out',
      reclaimable: '',
    });
    await redis.hset(roomKeys(line.showId).room, 'paused', 0);
    expect(await line.join('late', '198.51.100.2', HOUR, HOUR, NO_LIMITS, ledger)).toEqual({
      outcome: 'sold_out',
      reclaimable: '',
    }); // seen recently enough
    expect(await line.join('late', '198.51.100.2', HOUR, 1, NO_LIMITS, ledger)).toEqual({
      outcome: 'sold_out',
      reclaimable: 'gone',
    });
  });

  it('the same for a join refused by its address’s share', async () => {
    const queue = await room(10, 1);
    const capped: JoinLimits = { ...NO_LIMITS, addressTokenCap: { min: 1, share: 0 } };
    await queue.join('in', '198.51.100.1', 200, HOUR, capped, ledger); // admitted, for 200 ms
    expect(await queue.join('again', '198.51.100.1', HOUR, HOUR, capped, ledger)).toMatchObject({
      outcome: 'rate_limited',
      scope: 'address_tokens',
      reclaimable: '',
    });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await queue.join('again', '198.51.100.1', HOUR, HOUR, capped, ledger)).toMatchObject({
      outcome: 'rate_limited',
      scope: 'address_tokens',
      reclaimable: 'lapsed',
    });
  });
});

describe('putting back a visitor Redis forgot', () => {
  it('counts a number above what the room issued as issued, so that no later join is given it again (even while recovering)', async () => {
    const queue = await room(10, 1);
    const joined = [];
    for (const s of ['a', 'b', 'c']) joined.push(await queue.join(s, '198.51.100.1', HOUR, HOUR, NO_LIMITS, ledger));
    const third = joined[2] as { visitor: number; place: number };
    const { room: roomKey, sessions, queue: queueKey, visitorPrefix } = roomKeys(queue.showId);
    // A replica that lagged: it never saw the third join, and it is recovering others' tokens.
    await redis.hset(roomKey, 'issued', 2, 'seq', 2, 'unclaimed', 1, 'recoverUntil', Date.now() + HOUR);
    await redis.del(`${visitorPrefix}${third.visitor}`);
    await redis.hdel(sessions, 'c');
    await redis.zrem(queueKey, String(third.visitor));

    expect(
      await queue.reinstate(third.visitor, 'c', third.place, { state: 'waiting' }, Date.now(), ledger),
    ).toMatchObject({ outcome: 'reinstated', visitor: third.visitor });
    expect(Number(await redis.hget(roomKey, 'issued'))).toBeGreaterThanOrEqual(third.visitor);
    await redis.hdel(roomKey, 'recoverUntil', 'unclaimed');
    const next = await queue.join('d', '198.51.100.1', HOUR, HOUR, NO_LIMITS, ledger);
    expect((next as { visitor: number }).visitor).toBeGreaterThan(third.visitor);
  });

  it('gives a new number only below the ledger’s ceiling when theirs went to someone else', async () => {
    const queue = await room(10, 1);
    const first = (await queue.join('a', '198.51.100.1', HOUR, HOUR, NO_LIMITS, ledger)) as {
      visitor: number;
      place: number;
    };
    const { room: roomKey, sessions, visitorPrefix } = roomKeys(queue.showId);
    // Their number is someone else's now, and the room has issued every number reserved.
    await redis.hset(`${visitorPrefix}${first.visitor}`, 'session', 'someone-else');
    await redis.hdel(sessions, 'a');
    const ceiling = Number(await redis.hget(roomKey, 'ceiling'));
    await redis.hset(roomKey, 'issued', ceiling);
    const back = await queue.reinstate(first.visitor, 'a', first.place, { state: 'waiting' }, Date.now(), ledger);
    expect(back.outcome).toBe('reinstated');
    expect(back.visitor).toBeGreaterThan(ceiling);
    expect(back.visitor).toBeLessThanOrEqual(Number(await redis.hget(roomKey, 'ceiling'))); // reserved first
  });
});

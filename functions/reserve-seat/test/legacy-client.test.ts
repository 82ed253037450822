import { spawn } from 'node:child_process';
import path from 'node:path';
import type Hapi from '@hapi/hapi';
import nock from 'nock';
import { createLogger, createRedis, defineScripts, loadConfig, Registry, type Redis } from '@premiere/runtime';
import { createTestRedisPrefix, eventually, TEST_REDIS_URL } from '@premiere/testing';
import { createLegacyCinema } from '@premiere/simulators';
import {
  Bulkhead,
  BulkheadFull,
  LegacyBusy,
  LegacyClient,
  legacyEnv,
  LegacyOutcomeUnknown,
  LegacyRefused,
} from '../src/legacy';

const LUA = path.resolve(__dirname, '../lua');
const prefix = createTestRedisPrefix();
const clients: Redis[] = [];
const servers: Hapi.Server[] = [];

afterEach(async () => {
  nock.cleanAll();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await Promise.all(clients.splice(0).map((c) => c.quit()));
  await prefix.clean();
});

/** A Redis connection of its own, as a separate replica would have, under this file's prefix. */
async function redisFor(scope: string): Promise<Redis> {
  const redis = createRedis({ url: TEST_REDIS_URL, keyPrefix: `${prefix.prefix}${scope}:` });
  defineScripts(redis, LUA);
  clients.push(redis);
  await new Promise((r) => redis.once('ready', r));
  return redis;
}

function client(redis: Redis, env: Record<string, string>) {
  const config = loadConfig(legacyEnv, { LEGACY_SLOT_WAIT_MS: '10000', ...env });
  return new LegacyClient({
    config,
    redis,
    registry: new Registry(),
    log: createLogger({ name: 'test', level: 'silent' }),
  });
}

async function simulator(opts: { concurrencyLimit: number; latencyMs: [number, number] }) {
  const seats = Array.from({ length: 40 }, (_, i) => `A${i + 1}`);
  const server = createLegacyCinema({
    port: 0,
    seatsOf: async () => seats,
    holdSeconds: 120,
    overload: '503',
    stallMs: 0,
    ...opts,
  });
  await server.start();
  servers.push(server);
  return `http://127.0.0.1:${server.info.port}`;
}

describe('the legacy client', () => {
  it('never has more calls in flight than the limit across two replicas, and every call gets through', async () => {
    const url = await simulator({ concurrencyLimit: 4, latencyMs: [20, 40] });
    const a = client(await redisFor('shared'), { LEGACY_URL: url, LEGACY_CONCURRENCY: '4' });
    const b = client(await redisFor('shared'), { LEGACY_URL: url, LEGACY_CONCURRENCY: '4' });
    const results = await Promise.all(Array.from({ length: 80 }, (_, i) => (i % 2 ? a : b).seats('any-show')));
    expect(results.every((seats) => seats.length === 40)).toBe(true);
    const stats = await (await fetch(`${url}/stats`)).json();
    expect(stats.max_concurrency).toBeLessThanOrEqual(4); // never above the limit
    expect(stats.max_concurrency).toBeGreaterThanOrEqual(3); // and the system kept busy
    expect(stats.rejected).toBe(0);
    expect(stats.served).toBe(80);
    // Both replicas count into the deployment's usage, which the bouncer sizes zones by.
    const usage = await eventually(async () => {
      const u = await (await redisFor('shared')).hgetall('{legacy}:usage');
      return Number(u.calls) === 80 ? u : null;
    });
    expect(Number(usage.limit)).toBe(4);
    expect(Number(usage.busyMs)).toBeGreaterThanOrEqual(80 * 15); // each call held its slot for its 20–40 ms
    expect(Number(usage.waitedMs)).toBeGreaterThan(0); // 80 calls through 4 slots: most waited
    expect(usage.full).toBeUndefined();
  });

  it('counts callers who gave up waiting for a slot', async () => {
    const redis = await redisFor('full');
    const bulkhead = new Bulkhead(redis, {
      key: '{legacy}:bulkhead',
      usageKey: '{legacy}:usage',
      limit: 1,
      leaseMs: 5_000,
      waitMs: 100,
    });
    const slot = await bulkhead.acquire();
    await expect(bulkhead.acquire()).rejects.toBeInstanceOf(BulkheadFull);
    await slot.release();
    const usage = await eventually(async () => {
      const u = await redis.hgetall('{legacy}:usage');
      return u.calls ? u : null;
    });
    expect(usage).toMatchObject({ limit: '1', full: '1', calls: '1' });
    expect(Number(usage.waitedMs)).toBeGreaterThanOrEqual(100);
  });

  it('keeps the limit when Redis forgets the bulkhead while calls are in flight: their leases come back before anyone gets a slot', async () => {
    const redis = await redisFor('forgot');
    const opts = { key: '{legacy}:bulkhead', usageKey: '{legacy}:usage', limit: 2, leaseMs: 30_000, waitMs: 400 };
    const [a, b] = [new Bulkhead(redis, opts), new Bulkhead(redis, opts)];
    const calls = [await a.acquire(), await a.acquire()]; // the legacy system at its limit
    await redis.del('{legacy}:bulkhead', '{legacy}:bulkhead:waiting', '{legacy}:bulkhead:epoch'); // Redis forgot
    // Another process, and this one, ask at once: no third call while the two are in flight.
    await expect(a.acquire()).rejects.toBeInstanceOf(BulkheadFull);
    await expect(b.acquire()).rejects.toBeInstanceOf(BulkheadFull);
    expect(await redis.zcard('{legacy}:bulkhead')).toBe(2); // their leases were put back
    await calls[0].release();
    const next = await b.acquire();
    await next.release();
    await calls[1].release();
  });

  it('serves a process’s callers in arrival order, each freed slot handed to the next of them', async () => {
    const redis = await redisFor('order');
    const bulkhead = new Bulkhead(redis, {
      key: '{legacy}:bulkhead',
      usageKey: '{legacy}:usage',
      limit: 1,
      leaseMs: 5_000,
      waitMs: 5_000,
    });
    const first = await bulkhead.acquire();
    const served: number[] = [];
    const waiting = [1, 2, 3, 4].map((n) =>
      bulkhead.acquire().then(async (slot) => {
        served.push(n);
        expect(await redis.zcard('{legacy}:bulkhead')).toBe(1); // handed over, never two at once
        await slot.release();
      }),
    );
    await first.release();
    await Promise.all(waiting);
    expect(served).toEqual([1, 2, 3, 4]);
    expect(await redis.zcard('{legacy}:bulkhead')).toBe(0);
  });

  it('gives a replica whose callers arrive later its share of the slots, rather than starving it', async () => {
    const redis = await redisFor('fair');
    const opts = { key: '{legacy}:bulkhead', usageKey: '{legacy}:usage', limit: 4, leaseMs: 30_000, waitMs: 30_000 };
    const [busy, late] = [new Bulkhead(redis, opts), new Bulkhead(redis, opts)];
    let inFlight = 0;
    let most = 0;
    const call = async (bulkhead: Bulkhead) => {
      const slot = await bulkhead.acquire();
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 30));
      inFlight--;
      await slot.release();
      return Date.now();
    };
    // One replica's callers keep the four slots busy for about a second (120 × 30 ms / 4)...
    const busyDone = Promise.all(Array.from({ length: 120 }, () => call(busy)));
    await new Promise((r) => setTimeout(r, 100));
    // ...when another's eight callers arrive: they get slots as the first replica's calls end.
    const lateDone = await Promise.all(Array.from({ length: 8 }, () => call(late)));
    const busyLast = Math.max(...(await busyDone));
    // Half the slots from soon after they came: done with most of the first replica's line still
    // to go (without the share, at best by chance, or after that line ran dry).
    expect(Math.max(...lateDone)).toBeLessThan(busyLast - 500);
    expect(most).toBeLessThanOrEqual(4);
    expect(await redis.zcard('{legacy}:bulkhead')).toBe(0);
  });

  it('leaks no slot when many callers give up waiting while others hand slots over', async () => {
    const redis = await redisFor('giving-up');
    const [a, b] = [0, 1].map(
      () =>
        new Bulkhead(redis, {
          key: '{legacy}:bulkhead',
          usageKey: '{legacy}:usage',
          limit: 2,
          leaseMs: 30_000,
          waitMs: 40,
        }),
    );
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, async (_, i) => {
        try {
          const slot = await (i % 2 ? a : b).acquire();
          await new Promise((r) => setTimeout(r, 5 + (i % 4) * 5));
          await slot.release();
          return 'served';
        } catch (err) {
          expect(err).toBeInstanceOf(BulkheadFull);
          return 'gave up';
        }
      }),
    );
    expect(outcomes).toContain('served');
    expect(outcomes).toContain('gave up');
    expect(await redis.zcard('{legacy}:bulkhead')).toBe(0); // every slot came back at once, not by its lease
  });

  it('does not leak the slot of a process killed in the middle of a call: its lease frees it', async () => {
    const redis = await redisFor('killed');
    const script = `
      const { createRedis, defineScripts } = require('@premiere/runtime');
      const { Bulkhead } = require(${JSON.stringify(path.resolve(__dirname, '../dist/legacy'))});
      const redis = createRedis({ url: ${JSON.stringify(TEST_REDIS_URL)}, keyPrefix: ${JSON.stringify(`${prefix.prefix}killed:`)} });
      defineScripts(redis, ${JSON.stringify(LUA)});
      redis.once('ready', async () => {
        await new Bulkhead(redis, { key: '{legacy}:bulkhead', usageKey: '{legacy}:usage', limit: 1, leaseMs: 1500, waitMs: 0 }).acquire();
        process.stdout.write('holding\\n');
        setInterval(() => {}, 1000); // a call that never ends
      });`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout!.on('data', (d) => String(d).includes('holding') && resolve()));
    child.kill('SIGKILL');
    const killedAt = Date.now();

    const bulkhead = new Bulkhead(redis, {
      key: '{legacy}:bulkhead',
      usageKey: '{legacy}:usage',
      limit: 1,
      leaseMs: 1500,
      waitMs: 0,
    });
    await expect(bulkhead.acquire()).rejects.toBeInstanceOf(BulkheadFull); // still leased
    const slot = await eventually(() => bulkhead.acquire(), 5_000, 100);
    expect(Date.now() - killedAt).toBeLessThan(2_500);
    await slot.release();
  });

  it('retries 503s with backoff and gets through', async () => {
    const c = client(await redisFor('retry503'), { LEGACY_URL: 'http://legacy.test', LEGACY_RETRIES: '3' });
    const scope = nock('http://legacy.test')
      .get('/shows/s1/seats')
      .times(2)
      .reply(503, { error: 'overloaded' })
      .get('/shows/s1/seats')
      .reply(200, { seats: [{ seat: 'A1', status: 'free' }] });
    expect(await c.seats('s1')).toEqual([{ seat: 'A1', status: 'free' }]);
    expect(scope.isDone()).toBe(true);
  });

  it('retries a read that timed out, but not a hold: that one may have happened', async () => {
    const c = client(await redisFor('timeouts'), {
      LEGACY_URL: 'http://legacy.test',
      LEGACY_TIMEOUT_MS: '200',
      LEGACY_RETRIES: '2',
    });
    nock('http://legacy.test')
      .get('/shows/s1/seats')
      .delay(500)
      .reply(200, { seats: [] })
      .get('/shows/s1/seats')
      .reply(200, { seats: [{ seat: 'A1', status: 'held' }] });
    expect(await c.seats('s1')).toEqual([{ seat: 'A1', status: 'held' }]);
    const hold = nock('http://legacy.test')
      .post('/shows/s1/holds')
      .delay(500)
      .reply(201, {})
      .post('/shows/s1/holds')
      .reply(201, { holdId: 'second' });
    await expect(c.hold('s1', ['A1'])).rejects.toBeInstanceOf(LegacyOutcomeUnknown);
    expect(hold.pendingMocks()).toHaveLength(1); // no second hold was sent
  });

  it('keeps a timed-out call’s slot until its lease ends (the legacy system may still be working on it): never one more call in flight', async () => {
    const c = client(await redisFor('abandoned'), {
      LEGACY_URL: 'http://legacy.test',
      LEGACY_CONCURRENCY: '1',
      LEGACY_TIMEOUT_MS: '200',
      LEGACY_SLOT_LEASE_MS: '3000',
    });
    let readAt = 0;
    nock('http://legacy.test')
      .post('/shows/s1/holds')
      .delay(5_000) // still working on it long after we gave up
      .reply(201, {})
      .get('/shows/s1/seats')
      .reply(() => ((readAt = Date.now()), [200, { seats: [] }]));
    const heldAt = Date.now();
    await expect(c.hold('s1', ['A1'])).rejects.toBeInstanceOf(LegacyOutcomeUnknown);
    expect(Date.now() - heldAt).toBeLessThan(2_000); // given up at its timeout, not when the system answers
    expect(await c.seats('s1')).toEqual([]);
    expect(readAt - heldAt).toBeGreaterThanOrEqual(2_900); // sent only once the abandoned call's lease ended
  });

  it('surfaces a refusal (seats taken) at once, without retrying or counting it as a failure', async () => {
    const c = client(await redisFor('refused'), { LEGACY_URL: 'http://legacy.test', LEGACY_BREAKER_FAILURES: '1' });
    nock('http://legacy.test')
      .post('/shows/s1/holds')
      .reply(409, { error: 'seats not available', seats: ['A1'] });
    const err = await c.hold('s1', ['A1', 'A2']).catch((e) => e);
    expect(err).toBeInstanceOf(LegacyRefused);
    expect(err).toMatchObject({ status: 409, body: { seats: ['A1'] } });
    expect(c.circuit).toBe('closed');
  });

  it('opens the circuit after repeated failures, answers busy without calling, and closes after a good trial call', async () => {
    const c = client(await redisFor('circuit'), {
      LEGACY_URL: 'http://legacy.test',
      LEGACY_RETRIES: '0',
      LEGACY_BREAKER_FAILURES: '3',
      LEGACY_BREAKER_COOLDOWN_MS: '300',
    });
    nock('http://legacy.test').get('/shows/s1/seats').times(3).reply(503, {});
    for (let i = 0; i < 3; i++) await expect(c.seats('s1')).rejects.toBeInstanceOf(LegacyBusy);
    expect(c.circuit).toBe('open');
    const late = nock('http://legacy.test').get('/shows/s1/seats').reply(200, { seats: [] });
    const busy = await c.seats('s1').catch((e) => e);
    expect(busy).toBeInstanceOf(LegacyBusy);
    expect(busy.message).toBe("the cinema's system is busy, retrying");
    expect(late.isDone()).toBe(false); // not called while open
    await new Promise((r) => setTimeout(r, 320));
    expect(await c.seats('s1')).toEqual([]);
    expect(c.circuit).toBe('closed');
  });
});

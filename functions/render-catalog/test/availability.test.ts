import { createRedis } from '@premiere/runtime';
import { createTestRedisPrefix, TEST_REDIS_URL } from '@premiere/testing';
import { readAvailability } from '../src/availability';

const prefix = createTestRedisPrefix();
const redis = createRedis({ url: TEST_REDIS_URL, keyPrefix: prefix.prefix });

afterAll(async () => {
  await redis.quit();
  await prefix.clean();
});

describe('a show’s availability', () => {
  it('is the worse of the waiting room’s (tokens) and reserve-seat’s (seats), available when neither said anything', async () => {
    await new Promise((r) => (redis.status === 'ready' ? r(null) : redis.once('ready', r)));
    await redis.mset({
      '{show:a}:availability': 'available',
      '{show:a}:seat-availability': 'few_left',
      '{show:b}:availability': 'sold_out',
      '{show:b}:seat-availability': 'available',
      '{show:c}:seat-availability': 'sold_out',
    });
    const got = await readAvailability(redis, ['a', 'b', 'c', 'd']);
    expect(Object.fromEntries(got)).toEqual({ a: 'few_left', b: 'sold_out', c: 'sold_out', d: 'available' });
  });
});

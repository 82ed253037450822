import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRedis, defineScripts, showKey, type Redis } from '@premiere/runtime';
import { createTestRedisPrefix, TEST_REDIS_URL } from '@premiere/testing';

const prefix = createTestRedisPrefix();
let redis: Redis;
beforeAll(async () => {
  redis = createRedis({ url: TEST_REDIS_URL, keyPrefix: prefix.prefix });
  await new Promise((r) => redis.once('ready', r));
});
afterAll(async () => {
  await redis.quit();
  await prefix.clean();
});

describe('Redis access', () => {
  it('keys every record of a show under one hash tag', () => {
    expect(showKey('last-starfall-premiere', 'queue')).toBe('{show:last-starfall-premiere}:queue');
  });

  it('loads each .lua file as a command (with the lib/ files it includes), atomic under concurrency, with keys under the prefix', async () => {
    defineScripts(redis, path.join(__dirname, 'fixtures/lua'));
    const take = (redis as unknown as { takeIfBelow(key: string, limit: number): Promise<number> }).takeIfBelow.bind(
      redis,
    );
    const key = showKey('s1', 'inside');
    const results = await Promise.all(Array.from({ length: 50 }, () => take(key, 10)));
    expect(results.filter((r) => r > 0).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(results.filter((r) => r === -1)).toHaveLength(40);
    const raw = createRedis({ url: TEST_REDIS_URL, keyPrefix: '' });
    await new Promise((r) => raw.once('ready', r));
    expect(await raw.get(`${prefix.prefix}{show:s1}:inside`)).toBe('10');
    await raw.quit();
  });

  it('refuses a script that includes a file lib/ does not have, naming both', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'lua-'));
    writeFileSync(path.join(dir, 'broken.lua'), '-- keys: 0\n-- include: nowhere.lua\nreturn 1\n');
    expect(() => defineScripts(redis, dir)).toThrow(
      `broken.lua: includes nowhere.lua, which is not in ${path.join(dir, 'lib')}`,
    );
    rmSync(dir, { recursive: true });
  });
});

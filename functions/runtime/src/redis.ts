import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';

export { Redis };

export function createRedis(options: { url: string; keyPrefix: string }): Redis {
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    // Fail fast while disconnected instead of queueing: a request should get an answer, not hang.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  redis.on('error', () => undefined); // reported by /readyz; ioredis keeps reconnecting
  return redis;
}

/**
 * The key of one of a show's records. Every key of a show shares the hash tag `{show:<id>}`, so a
 * show's data lives on one Redis Cluster slot and its Lua scripts may touch all of it at once.
 */
export function showKey(showId: string, ...parts: string[]): string {
  return [`{show:${showId}}`, ...parts].join(':');
}

/**
 * How busy the legacy seat system is kept, for the whole deployment (a hash of counters: busyMs,
 * waitedMs, calls, full, limit): written by reserve-seat's bulkhead, read by the waiting room's
 * bouncer to size the protected zone.
 */
export const LEGACY_USAGE_KEY = '{legacy}:usage';

/**
 * Loads every `<name>.lua` in `dir` as an ioredis command `<name>` (camelCased). Each script
 * declares how many of its arguments are keys in its first line: `-- keys: 2`. A line
 * `-- include: <file>.lua` is replaced by `dir/lib/<file>.lua`: what several scripts share
 * (a local function, say) is written once.
 */
export function defineScripts(redis: Redis, dir: string): void {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua'))) {
    const lua = readFileSync(path.join(dir, file), 'utf8').replace(/^--\s*include:\s*(\S+\.lua)\s*$/gm, (_, lib: string) => {
      const shared = path.join(dir, 'lib', lib);
      if (!existsSync(shared)) throw new Error(`${file}: includes ${lib}, which is not in ${path.join(dir, 'lib')}`);
      return readFileSync(shared, 'utf8').trimEnd();
    });
    const m = /^--\s*keys:\s*(\d+)/.exec(lua);
    if (!m) throw new Error(`${file}: first line must declare its key count, e.g. "-- keys: 1"`);
    const name = path.basename(file, '.lua').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    redis.defineCommand(name, { numberOfKeys: Number(m[1]), lua });
  }
}

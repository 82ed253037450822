import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ConfigError, type SentinelAddress } from './config';

export { Redis };

export interface RedisConnection {
  /** redis:// or rediss://; with `sentinels`, only its credentials, TLS and database are used. */
  url: string;
  keyPrefix: string;
  /** Sentinels to ask for the primary (REDIS_SENTINELS), which is monitored as `sentinelMaster`. */
  sentinels?: SentinelAddress[];
  sentinelMaster?: string;
  sentinelPassword?: string;
  /** Connect on the first command instead of at once. */
  lazyConnect?: boolean;
}

/** True for a write refused because the node is (now) a replica. */
const isReadOnly = (err: Error) => err.message.startsWith('READONLY');

export function createRedis(options: RedisConnection): Redis {
  if (options.sentinels?.length && !options.sentinelMaster) {
    throw new ConfigError(
      'REDIS_SENTINEL_MASTER',
      'REDIS_SENTINEL_MASTER is required with REDIS_SENTINELS: the name the sentinels monitor the primary under (sentinel monitor <name> …)',
    );
  }
  if (options.sentinelMaster && !options.sentinels?.length) {
    throw new ConfigError(
      'REDIS_SENTINELS',
      'REDIS_SENTINELS is required with REDIS_SENTINEL_MASTER: the sentinels to ask for the primary, e.g. redis-0.redis:26379,redis-1.redis:26379',
    );
  }
  const retry = (times: number) => Math.min(times * 100, 2_000);
  const tls = new URL(options.url).protocol === 'rediss:';
  const redis = new Redis(options.url, {
    keyPrefix: options.keyPrefix,
    lazyConnect: options.lazyConnect,
    // Fail fast while disconnected instead of queueing: a request should get an answer, not hang.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: retry,
    // A node that became a replica (a failover behind a managed Redis's address, or an old primary
    // rejoining) refuses writes with READONLY while the connection stays up: reconnect, so that
    // the next connection finds the primary (its address resolved again, or asked of the
    // sentinels). The refused command fails (nothing was written); its caller answers or retries.
    reconnectOnError: (err) => isReadOnly(err),
    ...(options.sentinels?.length
      ? {
          sentinels: options.sentinels,
          name: options.sentinelMaster,
          sentinelPassword: options.sentinelPassword,
          sentinelRetryStrategy: retry,
          // A pod on a lost machine does not refuse a connection, it never answers: give up on it
          // (a sentinel, or a primary the sentinels have not yet replaced) within seconds, not 10.
          connectTimeout: 3_000,
          // Hear the sentinels announce a new primary (+switch-master) and reconnect at once,
          // rather than keep writing to an old primary that is cut off from them.
          failoverDetector: true,
          // rediss: the primary and the sentinels both speak TLS.
          ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: {} } : {}),
        }
      : {}),
  });
  redis.on('error', () => undefined); // reported by /readyz; ioredis keeps reconnecting
  keepConnecting(redis);
  return redis;
}

/**
 * ioredis stops for good ('end': every command refused, no more attempts) when a connection attempt
 * is cut short, as when the sentinels announce a new primary (its failover detector) while the
 * attempt waits on a sentinel's answer: a function would stay unready until restarted. Only our
 * own quit() or disconnect() may end a client; any other end is followed by a new attempt.
 */
function keepConnecting(redis: Redis): void {
  let closing = false;
  const { quit, disconnect } = redis;
  redis.quit = function (this: Redis, ...args: unknown[]) {
    closing = true;
    return (quit as (...a: unknown[]) => ReturnType<Redis['quit']>).apply(this, args);
  } as Redis['quit'];
  // disconnect(true) is ioredis's own reconnect (reconnectOnError): not an end.
  redis.disconnect = function (this: Redis, reconnect = false) {
    if (!reconnect) closing = true;
    return disconnect.call(this, reconnect);
  };
  redis.on('end', () => {
    if (closing) return;
    setTimeout(() => {
      if (!closing && redis.status === 'end') redis.connect().catch(() => undefined); // a failed one ends again, and is tried again
    }, 500).unref();
  });
}

/**
 * The key of one of a show's records. Every key of a show shares the hash tag `{show:<id>}`, so a
 * show's data lives on one Redis Cluster slot and its Lua scripts may touch all of it at once.
 */
export function showKey(showId: string, ...parts: string[]): string {
  return [`{show:${showId}}`, ...parts].join(':');
}

/**
 * Loads every `<name>.lua` in `dir` as an ioredis command `<name>` (camelCased). Each script
 * declares how many of its arguments are keys in its first line: `-- keys: 2`. A line
 * `-- include: <file>.lua` is replaced by `dir/lib/<file>.lua`: what several scripts share
 * (a local function, say) is written once.
 */
export function defineScripts(redis: Redis, dir: string): void {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.lua'))) {
    const lua = readFileSync(path.join(dir, file), 'utf8').replace(
      /^--\s*include:\s*(\S+\.lua)\s*$/gm,
      (_, lib: string) => {
        const shared = path.join(dir, 'lib', lib);
        if (!existsSync(shared)) throw new Error(`${file}: includes ${lib}, which is not in ${path.join(dir, 'lib')}`);
        return readFileSync(shared, 'utf8').trimEnd();
      },
    );
    const m = /^--\s*keys:\s*(\d+)/.exec(lua);
    if (!m) throw new Error(`${file}: first line must declare its key count, e.g. "-- keys: 1"`);
    const name = path.basename(file, '.lua').replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
    redis.defineCommand(name, { numberOfKeys: Number(m[1]), lua });
  }
}

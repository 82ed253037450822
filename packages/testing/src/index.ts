import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { Redis } from 'ioredis';
import { EventIssuer, migrate } from '@premiere/runtime';

export { consumer, producer } from './fixture-functions';

/**
 * Test isolation (see DEVELOPERS.md): every test file makes its own database and Redis key prefix,
 * on the servers DATABASE_URL and REDIS_URL point at (default: the local ones), and removes them
 * when done. Nothing depends on data left by an earlier run.
 */
export const TEST_DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const suffix = () => randomBytes(5).toString('hex');

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh database (migrated unless `migrated: false`), dropped by `drop()`. */
export async function createTestDatabase(options: { migrated?: boolean } = {}): Promise<TestDatabase> {
  const name = `premiere_test_${suffix()}`;
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = withDatabase(TEST_DATABASE_URL, name);
  if (options.migrated !== false) await migrate(url);
  return {
    url,
    name,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** A Redis key prefix of this test run's own, and a way to delete every key under it. */
export function createTestRedisPrefix() {
  const prefix = `premiere-test:${suffix()}:`;
  return {
    prefix,
    async clean() {
      const redis = new Redis(TEST_REDIS_URL);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        if (keys.length) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}

/**
 * The tests' broker identity: functions under test trust its keys (EVENT_AUTH_JWKS, so no issuer
 * needs serving), and a test that posts a CloudEvent to /events signs it with
 * `eventAuthorization`, as the broker does: the same verification runs as on a cluster.
 */
export const testEventIssuer = new EventIssuer('https://issuer.premiere.test');

/** The environment under which functions trust `issuer`'s event tokens. */
export const eventAuthEnv = (issuer: EventIssuer = testEventIssuer) => ({
  EVENT_AUTH_ISSUER: issuer.url,
  EVENT_AUTH_JWKS: JSON.stringify(issuer.jwks()),
  EVENT_AUTH_SUBJECT_PREFIX: 'system:serviceaccount:test:',
});

/** The `Authorization` a delivery to `functionName`'s /events carries (its default audience). */
export function eventAuthorization(functionName: string): string {
  return `Bearer ${testEventIssuer.token(`premiere/${functionName}`, 'system:serviceaccount:test:broker')}`;
}

/**
 * A token file (EVENT_SINK_TOKEN_FILE) for a function whose K_SINK is another function's /events
 * rather than a broker: it presents the broker's token for `functionName`. Removed at exit.
 */
export function eventTokenFile(functionName: string): string {
  const file = path.join(tmpdir(), `premiere-test-token-${process.pid}-${functionName}`);
  writeFileSync(
    file,
    testEventIssuer.token(`premiere/${functionName}`, 'system:serviceaccount:test:broker', { ttlSeconds: 86_400 }),
    { mode: 0o600 },
  );
  if (tokenFiles.size === 0) process.once('exit', () => tokenFiles.forEach((f) => rmSync(f, { force: true })));
  tokenFiles.add(file);
  return file;
}
const tokenFiles = new Set<string>();

/** The environment a function needs, pointed at the test database and prefix; `overrides` win. */
export function testEnv(
  db: TestDatabase,
  redisPrefix: string,
  overrides: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    PORT: '0',
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisPrefix,
    K_SINK: 'http://127.0.0.1:9/', // discard: nothing listens there
    LOG_LEVEL: 'info',
    // No data plane routes around a test's function: stopping needs no drain (the drain tests set one).
    SHUTDOWN_DRAIN_MS: '0',
    ...eventAuthEnv(),
    ...overrides,
  };
}

/** A log destination that keeps every line, parsed, for assertions. */
export function captureLogs() {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line);
        lines.push(JSON.parse(line));
      }
      done();
    },
  });
  return { stream, lines, raw };
}

/** Polls `check` until it returns truthy or `timeoutMs` passes. */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
export { englishIn, ENGLISH_WORDS, keysIn, visibleText } from './languages';
export * from './fixtures';
export * from './restartable';
/** The demo catalog `npm start` loads, which most tests start from. */
export { loadDemoCatalog, PREMIERE_SHOW_ID } from '@premiere/local-stack/demo-catalog';
export { documentedRedisKeys, redisKeysDocMismatch } from './redis-keys-doc';
export { dropConnectionBeforeHandler } from './dropped-connection';

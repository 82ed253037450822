import { spawn } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, createTestRedisPrefix, eventually, testEnv, type TestDatabase } from '@premiere/testing';

let db: TestDatabase;
const redis = createTestRedisPrefix();
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db.drop();
  await redis.clean();
});

describe('graceful shutdown', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'on %s fails readiness, serves for the drain period, finishes the request in flight, then refuses new ones and exits 0',
    async (signal) => {
      const child = spawn(process.execPath, [path.join(__dirname, 'fixtures/slow-function.js')], {
        env: { ...process.env, ...testEnv(db, redis.prefix, { PORT: '0', SLOW_MS: '1500', SHUTDOWN_DRAIN_MS: '400' }) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout!.on('data', (c) => (output += c));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      // PORT=0 takes a free port; the "listening" log line says which.
      const port = await eventually(() => /"port":(\d+)/.exec(output)?.[1], 10_000);
      const url = `http://127.0.0.1:${port}`;
      await eventually(async () => (await fetch(`${url}/readyz`)).ok, 10_000, 100);

      const inFlight = fetch(`${url}/slow`);
      await new Promise((r) => setTimeout(r, 300)); // the request is being handled
      child.kill(signal);
      // Draining: not ready (the data plane stops sending), but what still comes is served.
      await eventually(async () => (await fetch(`${url}/readyz`)).status === 503, 5_000, 20);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      // Then no new work is taken.
      await eventually(
        () =>
          fetch(`${url}/healthz`).then(
            () => false,
            () => true,
          ),
        5_000,
        20,
      );

      const res = await inFlight;
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ finished: true });
      expect(await exited).toBe(0);
      const lines = output
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.map((l) => l.msg)).toEqual(
        expect.arrayContaining([
          'signal received',
          'draining: readiness fails, requests still served',
          'shutting down: finishing in-flight requests',
          'stopped',
        ]),
      );
    },
  );
});

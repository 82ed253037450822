import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { CloudEvent, HTTP } from 'cloudevents';
import Joi from 'joi';
import { Counter } from 'prom-client';
import { createFunction, type EnvSpec, type FunctionDefinition, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  eventually,
  testEnv,
  type TestDatabase,
  producer,
} from '@premiere/testing';

let db: TestDatabase;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});
afterAll(async () => {
  await db.drop();
  await redis.clean();
});

async function start(overrides: Record<string, string> = {}) {
  const logs = captureLogs();
  const fn = createFunction(producer(), testEnv(db, redis.prefix, overrides), logs.stream);
  running.push(fn);
  await fn.start();
  return { fn, logs, url: `http://127.0.0.1:${fn.server.info.port}` };
}

describe('the function runtime', () => {
  it('answers /healthz and /readyz when Redis and PostgreSQL are reachable', async () => {
    const { url } = await start();
    expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { redis: 'ok', postgres: 'ok' } });
  });

  it('is not ready, and says why, when Redis is down', async () => {
    const { url } = await start({ REDIS_URL: 'redis://127.0.0.1:1' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    const body = await ready.json();
    expect(body.checks.postgres).toBe('ok');
    expect(body.reason).toMatch(/^redis unreachable/);
    expect((await fetch(`${url}/healthz`)).status).toBe(200); // alive all the same
  });

  it('is not ready, and says why, when PostgreSQL is down', async () => {
    const { url } = await start({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    const body = await (await fetch(`${url}/readyz`)).json();
    expect(body.status).toBe('unavailable');
    expect(body.reason).toMatch(/^postgres unreachable/);
    expect(body.checks.redis).toBe('ok');
  });

  it('refuses bad input with 400 saying what is wrong', async () => {
    const { url } = await start();
    const res = await fetch(`${url}/shows/NOT_OK/announce`, {
      method: 'POST',
      body: JSON.stringify({ count: 1 }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(400);
    expect((await res.json()).message).toMatch(/"showId" with value "NOT_OK" fails to match/);
    const res2 = await fetch(`${url}/shows/ok/announce`, {
      method: 'POST',
      body: JSON.stringify({ count: 0 }),
      headers: { 'content-type': 'application/json' },
    });
    expect((await res2.json()).message).toBe('"count" must be greater than or equal to 1');
  });

  it('logs each request with its id, and every line written while handling it', async () => {
    const { url, logs } = await start({ LOG_LEVEL: 'debug' });
    const res = await fetch(`${url}/shows/s1/announce`, {
      method: 'POST',
      body: JSON.stringify({ count: 1 }),
      headers: { 'content-type': 'application/json', 'x-request-id': 'abc-123' },
    });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    const mine = logs.lines.filter((l) => l.reqId === 'abc-123');
    expect(mine.map((l) => l.msg)).toEqual(expect.arrayContaining(['announcing', 'request']));
    expect(mine.find((l) => l.msg === 'request')).toMatchObject({
      level: 'debug',
      method: 'POST',
      route: '/shows/{showId}/announce',
      status: 200,
      fn: 'issue-token',
    });
  });

  it('logs a refused request at info, with its id and no query string', async () => {
    const { url, logs } = await start();
    await fetch(`${url}/shows/BAD/announce?token=secret-token`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
    });
    await new Promise((r) => setTimeout(r, 50));
    const line = logs.lines.find((l) => l.msg === 'request refused');
    expect(line).toMatchObject({ level: 'info', status: 400, path: '/shows/BAD/announce' });
    expect(line!.reqId).toMatch(/^[0-9a-f-]{36}$/); // none was given: one is made up
    expect(logs.raw.join('\n')).not.toContain('secret-token');
  });

  it('exposes default process metrics and an HTTP histogram by route and status', async () => {
    const { url } = await start();
    await fetch(`${url}/plain`);
    await fetch(`${url}/nowhere`);
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toMatch(
      /premiere_http_request_duration_seconds_count\{method="GET",route="\/plain",status_code="200"\} 1/,
    );
    expect(text).toMatch(
      /premiere_http_request_duration_seconds_count\{method="GET",route="\(unmatched\)",status_code="404"\} 1/,
    );
  });

  it('lets a function add its own metrics', async () => {
    const { fn, url } = await start();
    new Counter({ name: 'premiere_test_things_total', help: 'things', registers: [fn.ctx.metrics.registry] }).inc(3);
    expect(await (await fetch(`${url}/metrics`)).text()).toContain('premiere_test_things_total 3');
  });

  it('builds a function’s own parts once (setup), hands them to its routes, events and schedules, and closes them on stop while the pools are still open', async () => {
    const built: string[] = [];
    const closed: string[] = [];
    type Parts = { tally: { n: number }; close(): Promise<void> };
    const def: FunctionDefinition<EnvSpec, Parts> = {
      name: 'admit-batch',
      setup: (ctx) => {
        built.push(ctx.name);
        return {
          tally: { n: 0 },
          async close() {
            const { rows } = await ctx.db.query('SELECT 1 AS one');
            closed.push(`postgres ${rows[0].one}, redis ${ctx.redis.status}`);
          },
        };
      },
      routes: (_ctx, parts) => [{ method: 'GET', path: '/tally', handler: () => ({ n: ++parts.tally.n }) }],
      events: {
        'premiere.test.pinged': {
          data: Joi.object(),
          handle: async ({ deps }) => {
            deps.tally.n += 10;
          },
        },
      },
      schedules: {
        count: {
          work: async ({ deps }) => {
            deps.tally.n += 100;
          },
        },
      },
    };
    const fn = createFunction(def, testEnv(db, redis.prefix), captureLogs().stream);
    running.push(fn);
    await fn.start();
    const url = `http://127.0.0.1:${fn.server.info.port}`;
    const deliver = (event: CloudEvent<unknown>) => {
      const message = HTTP.binary(event);
      return fetch(`${url}/events`, {
        method: 'POST',
        headers: { ...(message.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
        body: message.body as string,
      });
    };
    expect(await (await fetch(`${url}/tally`)).json()).toEqual({ n: 1 });
    expect(
      (
        await deliver(
          new CloudEvent({ id: 'setup-1', type: 'premiere.test.pinged', source: '/premiere/test', data: {} }),
        )
      ).status,
    ).toBe(204);
    expect(
      (
        await deliver(
          new CloudEvent({
            id: 'setup-2',
            type: 'dev.knative.sources.ping',
            source: '/apis/v1/namespaces/x/pingsources/p',
            data: { schedule: 'count' },
          }),
        )
      ).status,
    ).toBe(204);
    expect(await (await fetch(`${url}/tally`)).json()).toEqual({ n: 112 });
    expect(fn.deps.tally.n).toBe(112);
    expect(built).toEqual(['admit-batch']);
    await fn.stop();
    expect(closed).toEqual(['postgres 1, redis ready']);
  });

  it('closes what setup made when the routes then fail to build', async () => {
    const closed: string[] = [];
    const def: FunctionDefinition<EnvSpec, { close(): Promise<void> }> = {
      name: 'admit-batch',
      setup: () => ({ close: async () => void closed.push('parts') }),
      routes: () => {
        throw new Error('a route that cannot be built');
      },
    };
    expect(() => createFunction(def, testEnv(db, redis.prefix), captureLogs().stream)).toThrow(
      'a route that cannot be built',
    );
    await eventually(async () => closed.length === 1, 5_000, 20);
  });

  it('adds "only our own pages may frame this" to a route’s own policy that says nothing of framing, and keeps one that does', async () => {
    const fn = createFunction(
      {
        name: 'admit-batch',
        routes: () => [
          {
            method: 'GET',
            path: '/scripts-only',
            handler: (_r, h) => h.response('x').header('content-security-policy', "script-src 'self'"),
          },
          {
            method: 'GET',
            path: '/never-framed',
            handler: (_r, h) =>
              h
                .response('x')
                .header('content-security-policy', "frame-ancestors 'none'")
                .header('x-frame-options', 'DENY'),
          },
        ],
      },
      testEnv(db, redis.prefix),
      captureLogs().stream,
    );
    running.push(fn);
    await fn.start();
    const url = `http://127.0.0.1:${fn.server.info.port}`;
    const framing = async (p: string) => {
      const res = await fetch(`${url}${p}`);
      return [res.headers.get('content-security-policy'), res.headers.get('x-frame-options')];
    };
    expect(await framing('/scripts-only')).toEqual(["script-src 'self'; frame-ancestors 'self'", 'SAMEORIGIN']);
    expect(await framing('/never-framed')).toEqual(["frame-ancestors 'none'", 'DENY']);
  });

  it('leaves no connection open when setup fails: the error is thrown and the process can end', () => {
    // A process whose Redis client stayed connected would never end by itself (killed at the timeout).
    const runtime = path.resolve(__dirname, '../dist');
    const script = `
      const { createFunction } = require(${JSON.stringify(runtime)});
      try {
        createFunction({ name: 'admit-batch', setup: () => { throw new Error('no legacy client today'); } }, process.env);
      } catch (err) {
        console.log('thrown: ' + err.message);
      }`;
    const env = testEnv(db, redis.prefix);
    const result = spawnSync(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(result.stdout.trim()).toBe('thrown: no legacy client today');
    expect(result.signal).toBeNull();
    expect(result.status).toBe(0);
  });
});

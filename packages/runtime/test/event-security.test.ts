import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CloudEvent, HTTP } from 'cloudevents';
import pg from 'pg';
import { createFunction, EventIssuer, SinkToken, type RunningFunction } from '@premiere/runtime';
import {
  captureLogs,
  consumer,
  createTestDatabase,
  createTestRedisPrefix,
  eventAuthorization,
  eventually,
  producer,
  testEnv,
  testEventIssuer,
  type TestDatabase,
} from '@premiere/testing';

/**
 * The security suite's doors on event delivery: a CloudEvent posted to a function's /events by
 * anything but the broker is refused (401) and nothing is handled; events whose attributes are
 * oversized or whose time is not RFC 3339 are refused (400), not failed (500).
 */
let db: TestDatabase;
let sql: pg.Pool;
const redis = createTestRedisPrefix();
const running: RunningFunction[] = [];
const seen: string[] = [];

async function start(env: Record<string, string> = {}): Promise<string> {
  const fn = createFunction(consumer(seen), testEnv(db, redis.prefix, env), captureLogs().stream);
  await fn.start();
  running.push(fn);
  return `http://127.0.0.1:${fn.server.info.port}/events`;
}

beforeAll(async () => {
  db = await createTestDatabase();
  sql = new pg.Pool({ connectionString: db.url });
  sql.on('error', () => undefined);
});
afterAll(async () => {
  await Promise.all(running.map((f) => f.stop()));
  await sql.end();
  await db.drop();
  await redis.clean();
});
beforeEach(() => {
  seen.length = 0;
});

const admitted = (id = randomUUID(), extra: Record<string, unknown> = {}) =>
  new CloudEvent({
    id,
    type: 'premiere.visitors.admitted',
    source: '/premiere/issue-token',
    subject: 'show-1',
    data: { n: 1 },
    ...extra,
  });

async function deliver(
  url: string,
  event: CloudEvent<unknown>,
  authorization?: string,
  headers: Record<string, string> = {},
) {
  const m = HTTP.binary(event);
  return fetch(url, {
    method: 'POST',
    headers: { ...(m.headers as Record<string, string>), ...(authorization ? { authorization } : {}), ...headers },
    body: m.body as string,
  });
}
const handled = async (id: string) =>
  Number((await sql.query('SELECT count(*) FROM admit_batch.inbox WHERE event_id = $1', [id])).rows[0].count);
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('events from anyone but the broker are refused, and change nothing', () => {
  let url: string;
  beforeAll(async () => {
    url = await start();
  });

  it('refuses an event with no token (401, not handled)', async () => {
    const id = randomUUID();
    const res = await deliver(url, admitted(id));
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer');
    expect((await res.json()).error).toMatch(/only from the broker/);
    expect(seen).toEqual([]);
    expect(await handled(id)).toBe(0);
  });

  it('refuses tokens that are not the broker’s for this function', async () => {
    const stranger = new EventIssuer(testEventIssuer.url); // the same issuer name, another key
    const [header, payload, signature] = testEventIssuer.token('premiere/admit-batch', 'x').split('.');
    const publicKeyAsSecret = JSON.stringify(testEventIssuer.jwks().keys[0]);
    const hs256Header = b64({ alg: 'HS256', typ: 'JWT', kid: testEventIssuer.keyId });
    const cases: [string, string, RegExp][] = [
      [
        'another function’s audience',
        `Bearer ${testEventIssuer.token('premiere/reserve-seat', 'x')}`,
        /another audience/,
      ],
      [
        'another issuer',
        `Bearer ${testEventIssuer.token('premiere/admit-batch', 'x', { issuer: 'https://evil.example' })}`,
        /another issuer/,
      ],
      [
        'expired',
        `Bearer ${testEventIssuer.token('premiere/admit-batch', 'x', { nowSeconds: Math.floor(Date.now() / 1000) - 7_200 })}`,
        /expired/,
      ],
      [
        'not valid yet',
        `Bearer ${testEventIssuer.token('premiere/admit-batch', 'x', { nowSeconds: Math.floor(Date.now() / 1000) + 600 })}`,
        /not valid yet/,
      ],
      [
        'signed with a key the issuer does not publish',
        `Bearer ${stranger.token('premiere/admit-batch', 'x')}`,
        /does not publish/,
      ],
      [
        'altered (payload of another token)',
        `Bearer ${header}.${testEventIssuer.token('premiere/reserve-seat', 'x').split('.')[1]}.${signature}`,
        /forged or altered/,
      ],
      ['unsigned (alg none)', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`, /algorithm|malformed/],
      [
        'HS256 with the public key as its secret',
        `Bearer ${hs256Header}.${payload}.${createHmac('sha256', publicKeyAsSecret).update(`${hs256Header}.${payload}`).digest('base64url')}`,
        /algorithm|malformed/,
      ],
      ['not a JWT', 'Bearer hello', /malformed/],
      [
        'from a service account of another namespace',
        `Bearer ${testEventIssuer.token('premiere/admit-batch', 'system:serviceaccount:elsewhere:pod')}`,
        /not one of ours/,
      ],
      ['not a bearer token', `Basic ${Buffer.from('broker:broker').toString('base64')}`, /only from the broker/],
    ];
    for (const [what, authorization, reason] of cases) {
      const id = randomUUID();
      const res = await deliver(url, admitted(id), authorization);
      expect({ what, status: res.status, error: (await res.json()).error }).toEqual({
        what,
        status: 401,
        error: expect.stringMatching(reason),
      });
      expect(await handled(id)).toBe(0);
    }
    expect(seen).toEqual([]);
  });

  it('handles an event with the broker’s token', async () => {
    const id = randomUUID();
    expect((await deliver(url, admitted(id), eventAuthorization('admit-batch'))).status).toBe(204);
    expect(seen).toEqual([id]);
  });

  it('refuses oversized attributes with 400 naming the attribute, not 500', async () => {
    const long = randomBytes(2_500).toString('hex'); // incompressible: an index entry of this size fails
    const cases: [string, CloudEvent<unknown>, Record<string, string>][] = [
      ['id', admitted(long), {}],
      ['source', admitted(randomUUID(), { source: `/premiere/${long}` }), {}],
      ['subject', admitted(randomUUID(), { subject: long }), {}],
      ['type', admitted(randomUUID(), { type: `premiere.${long}` }), {}],
      ['team', admitted(randomUUID()), { 'ce-team': long }],
    ];
    for (const [attribute, event, headers] of cases) {
      const res = await deliver(url, event, eventAuthorization('admit-batch'), headers);
      expect({ attribute, status: res.status }).toEqual({ attribute, status: 400 });
      expect((await res.json()).error).toContain(`"${attribute}"`);
    }
    // Structured mode: the attributes are in the body.
    const structured = HTTP.structured(admitted(long));
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...(structured.headers as Record<string, string>), authorization: eventAuthorization('admit-batch') },
      body: structured.body as string,
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toContain('"id"');
    expect(seen).toEqual([]);
  });

  it('takes attributes and a body up to their limits exactly, and refuses one character or byte more (400, 413)', async () => {
    const auth = eventAuthorization('admit-batch');
    const sized = (start: string, length: number) => start + 'x'.repeat(length - start.length);
    const cases: [string, number, (v: string) => [CloudEvent<unknown>, Record<string, string>]][] = [
      ['id', 256, (v) => [admitted(v), {}]],
      ['type', 256, (v) => [admitted(randomUUID(), { type: v }), {}]],
      ['source', 512, (v) => [admitted(randomUUID(), { source: v }), {}]],
      ['subject', 512, (v) => [admitted(randomUUID(), { subject: v }), {}]],
      ['team', 1_024, (v) => [admitted(randomUUID()), { 'ce-team': v }]],
    ];
    for (const [attribute, max, make] of cases) {
      for (const length of [max, max + 1]) {
        const [event, headers] = make(sized(attribute === 'source' ? '/premiere/' : 'premiere.', length));
        const res = await deliver(url, event, auth, headers);
        const error = res.status === 204 ? '' : (await res.json()).error;
        // At the limit it is taken (an unknown type is refused for that, not for its length).
        expect({ attribute, length, tooLong: error.includes(`"${attribute}" is longer than ${max}`) }).toEqual({
          attribute,
          length,
          tooLong: length > max,
        });
        if (attribute !== 'type')
          expect({ attribute, length, status: res.status }).toMatchObject({ status: length > max ? 400 : 204 });
      }
    }
    // The body: 256 KiB (JSON padded with spaces) is taken, a byte more is not.
    for (const bytes of [256 * 1024, 256 * 1024 + 1]) {
      const m = HTTP.binary(admitted());
      const body = (m.body as string).padEnd(bytes, ' ');
      const res = await fetch(url, {
        method: 'POST',
        headers: { ...(m.headers as Record<string, string>), authorization: auth },
        body,
      });
      expect({ bytes, status: res.status }).toEqual({ bytes, status: bytes > 256 * 1024 ? 413 : 204 });
    }
  });

  it('refuses a time that is not RFC 3339 (400)', async () => {
    for (const time of ['yesterday', '2026-12-02', '2026-13-40T99:00:00Z', '1733140800']) {
      const res = await deliver(url, admitted(), eventAuthorization('admit-batch'), { 'ce-time': time });
      expect({ time, status: res.status }).toEqual({ time, status: 400 });
      expect((await res.json()).error).toMatch(/RFC 3339/);
    }
    expect(seen).toEqual([]);
    expect(
      (await deliver(url, admitted(), eventAuthorization('admit-batch'), { 'ce-time': '2026-12-02T12:00:00.5-03:00' }))
        .status,
    ).toBe(204);
  });
});

describe('the issuer’s keys, fetched as from the cluster’s API server', () => {
  let keysServer: http.Server;
  let keysUrl: string;
  let published: EventIssuer[] = [];
  let answering = true;

  beforeAll(async () => {
    keysServer = http.createServer((_req, res) => {
      if (!answering) return res.writeHead(503).end();
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ keys: published.flatMap((i) => i.jwks().keys) }));
    });
    await new Promise<void>((r) => keysServer.listen(0, '127.0.0.1', r));
    keysUrl = `http://127.0.0.1:${(keysServer.address() as { port: number }).port}/openid/v1/jwks`;
  });
  afterAll(() => new Promise((r) => keysServer.close(r)));

  it('answers 503 (the broker retries) while the keys cannot be fetched, then accepts', async () => {
    const issuer = new EventIssuer('https://cluster.example');
    published = [issuer];
    answering = false;
    const url = await start({ EVENT_AUTH_ISSUER: issuer.url, EVENT_AUTH_JWKS: '', EVENT_AUTH_JWKS_URL: keysUrl });
    const id = randomUUID();
    const token = `Bearer ${issuer.token('premiere/admit-batch', 'system:serviceaccount:test:trigger')}`;
    const refused = await deliver(url, admitted(id), token);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await handled(id)).toBe(0);
    answering = true;
    expect((await deliver(url, admitted(id), token)).status).toBe(204);
    expect(seen).toEqual([id]);
  });

  it('fetches again for a key rotated in, and refuses keys it never published', async () => {
    const first = new EventIssuer('https://cluster.example');
    published = [first];
    const url = await start({ EVENT_AUTH_ISSUER: first.url, EVENT_AUTH_JWKS: '', EVENT_AUTH_JWKS_URL: keysUrl });
    expect(
      (await deliver(url, admitted(), `Bearer ${first.token('premiere/admit-batch', 'system:serviceaccount:test:s')}`))
        .status,
    ).toBe(204);
    const rotated = new EventIssuer('https://cluster.example');
    published = [first, rotated];
    expect(
      (
        await deliver(
          url,
          admitted(),
          `Bearer ${rotated.token('premiere/admit-batch', 'system:serviceaccount:test:s')}`,
        )
      ).status,
    ).toBe(204);
    const never = new EventIssuer('https://cluster.example');
    expect(
      (await deliver(url, admitted(), `Bearer ${never.token('premiere/admit-batch', 'system:serviceaccount:test:s')}`))
        .status,
    ).toBe(401);
  });
});

describe('EVENT_AUTH=none', () => {
  it('takes events without a token (a cluster without sender identity)', async () => {
    const url = await start({ EVENT_AUTH: 'none' });
    const id = randomUUID();
    expect((await deliver(url, admitted(id))).status).toBe(204);
    expect(seen).toEqual([id]);
  });
});

describe('events out carry the sender’s token', () => {
  it('reads the token again once its file changes (Knative renews it in place)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'premiere-sink-token-'));
    const file = path.join(dir, 'token');
    try {
      const token = new SinkToken(file, 0);
      expect(token.authorization()).toBeUndefined(); // no file: sender identity off, nothing sent
      writeFileSync(file, 'first\n');
      expect(token.authorization()).toBe('Bearer first');
      writeFileSync(file, 'renewed');
      expect(token.authorization()).toBe('Bearer renewed');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends the token of EVENT_SINK_TOKEN_FILE to the broker with every event', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'premiere-sink-token-'));
    const tokenFile = path.join(dir, 'token');
    writeFileSync(tokenFile, 'the-sinkbinding-token\n');
    const received: (string | undefined)[] = [];
    const broker = http.createServer((req, res) => {
      received.push(req.headers.authorization);
      req.resume().on('end', () => res.writeHead(202).end());
    });
    await new Promise<void>((r) => broker.listen(0, '127.0.0.1', r));
    const fn = createFunction(
      producer(),
      testEnv(db, redis.prefix, {
        K_SINK: `http://127.0.0.1:${(broker.address() as { port: number }).port}/`,
        EVENT_SINK_TOKEN_FILE: tokenFile,
      }),
      captureLogs().stream,
    );
    await fn.start();
    try {
      const res = await fetch(`http://127.0.0.1:${fn.server.info.port}/shows/show-1/announce`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"count":2}',
      });
      expect(res.status).toBe(200);
      await eventually(() => received.length >= 2);
      expect(received).toEqual(['Bearer the-sinkbinding-token', 'Bearer the-sinkbinding-token']);
    } finally {
      await fn.stop();
      await new Promise((r) => broker.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

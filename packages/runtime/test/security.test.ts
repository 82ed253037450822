import { createHmac } from 'node:crypto';
import { createFunction, type RunningFunction } from '@premiere/runtime';
import { crossSiteRefusal } from '@premiere/web';
import { sessionHash, TokenRefused, TokenSigner, type TokenClaims } from '@premiere/contracts';
import type { Request } from '@hapi/hapi';
import { Redis } from 'ioredis';
import {
  captureLogs,
  createTestDatabase,
  createTestRedisPrefix,
  TEST_REDIS_URL,
  testEnv,
  type TestDatabase,
} from '@premiere/testing';
import { issueToken } from '@premiere/issue-token';

/**
 * The security suite's token doors: a signed token is `<key id>.<payload>.<signature>` (base64url),
 * and only the one spelling premiere itself writes is accepted. A token that is ours but carries
 * anything but a well-formed set of claims is a 401 with a reason, never a 500.
 */
const KEY_ID = 'k1';
const KEY = 'test-signing-key-0123456789abcdefghijkl';
const signer = new TokenSigner({ [KEY_ID]: KEY });
const SESSION = 'security-session-0000000001';
const SHOW = 'some-show';
const now = () => Math.floor(Date.now() / 1000);
const claims = (over: Partial<Record<keyof TokenClaims, unknown>> = {}) => ({
  typ: 'queue',
  show: SHOW,
  vid: 3,
  place: 3,
  ses: sessionHash(SESSION),
  iat: now(),
  exp: now() + 600,
  ...over,
});

/** What only a holder of the signing key can make: any payload text, correctly signed. */
function signedText(payloadText: string, encode = (text: string) => Buffer.from(text).toString('base64url')): string {
  const payload = encode(payloadText);
  return `${KEY_ID}.${payload}.${createHmac('sha256', KEY).update(`${KEY_ID}.${payload}`).digest('base64url')}`;
}

/** The same base64url text with its last character's unused low bits set: decodes to the same bytes. */
function withUnusedBitsSet(text: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  if (text.length % 4 < 2) throw new Error('this length has no unused bits');
  // Lengths 2 and 3 mod 4 leave the last character's lowest 4 or 2 bits unused: flip the lowest.
  const changed = text.slice(0, -1) + alphabet[alphabet.indexOf(text.at(-1)!) ^ 1];
  expect(Buffer.from(changed, 'base64url')).toEqual(Buffer.from(text, 'base64url'));
  expect(changed).not.toBe(text);
  return changed;
}

function refusal(
  token: string,
  expect_: { typ: 'queue' | 'access'; show: string; session: string } = { typ: 'queue', show: SHOW, session: SESSION },
): TokenRefused | 'accepted' | Error {
  try {
    signer.verify(token, expect_);
    return 'accepted';
  } catch (err) {
    return err as Error;
  }
}

describe('tokens: one spelling only', () => {
  it('refuses a token whose signature has its last character changed to one that decodes the same (non-canonical base64url)', () => {
    const token = signer.sign(claims() as TokenClaims);
    expect(refusal(token)).toBe('accepted');
    const [keyId, payload, signature] = token.split('.');
    const altered = `${keyId}.${payload}.${withUnusedBitsSet(signature)}`; // 43 characters: 2 unused bits
    const refused = refusal(altered);
    expect(refused).toBeInstanceOf(TokenRefused);
    expect(refused).toMatchObject({ status: 401, message: expect.stringMatching(/forged or altered/) });
  });

  it('refuses a payload spelt in a non-canonical base64url, even correctly signed', () => {
    // A payload whose base64url has unused bits at its end (a length of 2 or 3 mod 4).
    let text = JSON.stringify(claims());
    for (let pad = ''; Buffer.from(text).toString('base64url').length % 4 < 2; pad += 'x')
      text = JSON.stringify({ ...claims(), pad });
    const plain = Buffer.from(text).toString('base64url');
    expect(refusal(signedText(text))).toBe('accepted');
    const spellings = [withUnusedBitsSet(plain), `${plain}=`, Buffer.from(text).toString('base64')];
    for (const spelling of spellings) {
      const token = signedText(text, () => spelling);
      const refused = refusal(token);
      expect(refused).toBeInstanceOf(TokenRefused);
      expect(refused).toMatchObject({ status: 401 });
    }
  });
});

describe('tokens: a malformed payload is a 401 with its reason, never a crash', () => {
  const cases: [string, string][] = [
    ['not JSON', '{"typ":"queue",'],
    ['JSON null', 'null'],
    ['a string', '"queue"'],
    ['a number', '42'],
    ['an array', JSON.stringify([claims()])],
    ['typ unknown', JSON.stringify(claims({ typ: 'admin' }))],
    ['show a number', JSON.stringify(claims({ show: 5 }))],
    ['vid a string', JSON.stringify(claims({ vid: '3' }))],
    ['vid zero', JSON.stringify(claims({ vid: 0 }))],
    ['vid a fraction', JSON.stringify(claims({ vid: 1.5 }))],
    ['place zero', JSON.stringify(claims({ place: 0 }))],
    ['place a string', JSON.stringify(claims({ place: 'front' }))],
    ['ses missing', JSON.stringify(claims({ ses: undefined }))],
    ['ses a number', JSON.stringify(claims({ ses: 7 }))],
    ['iat a string', JSON.stringify(claims({ iat: 'now' }))],
    ['exp a numeric string', JSON.stringify(claims({ exp: String(now() + 600) }))],
    ['exp missing', JSON.stringify(claims({ exp: undefined }))],
  ];

  it.each(cases)('refuses a correctly signed token whose payload is %s', (_, text) => {
    const refused = refusal(signedText(text));
    expect(refused).toBeInstanceOf(TokenRefused);
    expect(refused).toMatchObject({ status: 401, message: expect.stringMatching(/^the token’s (payload|claims)/) });
    // And again (a refused token is never remembered as verified).
    expect(refusal(signedText(text))).toBeInstanceOf(TokenRefused);
  });

  it('accepts what premiere signs, a pre-queue token (place null) too, and returns only the claims it knows', () => {
    expect(refusal(signer.sign(claims({ place: null }) as TokenClaims))).toBe('accepted');
    const token = signedText(JSON.stringify({ ...claims(), extra: 'ignored' }));
    expect(Object.keys(signer.verify(token, { typ: 'queue', show: SHOW, session: SESSION })).sort()).toEqual([
      'exp',
      'iat',
      'place',
      'ses',
      'show',
      'typ',
      'vid',
    ]);
  });
});

/** issue-token, with a database and a Redis prefix of its own, running for the tests of the describe block that calls this. */
function runIssueToken() {
  let db: TestDatabase;
  let fn: RunningFunction;
  const running = { redis: createTestRedisPrefix(), url: '' };
  beforeAll(async () => {
    db = await createTestDatabase();
    fn = createFunction(
      issueToken,
      testEnv(db, running.redis.prefix, { TOKEN_SIGNING_KEYS: JSON.stringify({ [KEY_ID]: KEY }) }),
      captureLogs().stream,
    );
    await fn.start();
    running.url = `http://127.0.0.1:${fn.server.info.port}`;
  });
  afterAll(async () => {
    await fn.stop();
    await db.drop();
    await running.redis.clean();
  });
  return running;
}

describe('tokens at the routes that take them (issue-token)', () => {
  const issueTokenRunning = runIssueToken();
  const { redis } = issueTokenRunning;

  it('answers 401 with the reason to a correctly signed token with a malformed payload, on the status and leave routes, and changes nothing', async () => {
    const tokens = [
      signedText('null'),
      signedText('{"typ":'),
      signedText(JSON.stringify(claims({ vid: 'x' }))),
      signedText(JSON.stringify(claims({ exp: String(now() + 600) }))),
    ];
    const [keyId, payload, signature] = signer.sign(claims() as TokenClaims).split('.');
    tokens.push(`${keyId}.${payload}.${withUnusedBitsSet(signature)}`);
    for (const token of tokens) {
      for (const method of ['GET', 'DELETE']) {
        const path =
          method === 'GET' ? `/waiting-room/api/shows/${SHOW}/status` : `/waiting-room/api/shows/${SHOW}/token`;
        const res = await fetch(`${issueTokenRunning.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, 'x-session-id': SESSION },
        });
        expect([method, token, res.status]).toEqual([method, token, 401]);
        expect((await res.json()).message).toMatch(/^the token/);
      }
    }
    const plain = new Redis(TEST_REDIS_URL);
    expect(await plain.keys(`${redis.prefix}*`)).toEqual([]); // no room made, no line touched
    plain.disconnect();
  });
});

describe('cross-site requests: what counts as the site’s own (crossSiteRefusal)', () => {
  const from = (headers: Record<string, string>) => crossSiteRefusal({ headers } as unknown as Request) === null;

  it('passes the site’s own origin, however the edge spells the host, and requests that say nothing', () => {
    expect(from({ origin: 'https://premiere.example', 'x-forwarded-host': 'premiere.example' })).toBe(true);
    expect(from({ origin: 'https://Premiere.Example', 'x-forwarded-host': 'premiere.example:443' })).toBe(true); // a default port is none
    expect(from({ origin: 'http://localhost:8080', 'x-forwarded-host': 'localhost' })).toBe(true); // NGINX's $host has no port
    expect(
      from({ origin: 'http://localhost:8080', 'x-forwarded-host': 'localhost:8080', host: 'issue-token.premiere.svc' }),
    ).toBe(true);
    expect(from({ origin: 'http://[::1]:8080', host: '[::1]:8080' })).toBe(true);
    expect(from({ origin: 'http://127.0.0.1:8080', host: '127.0.0.1:8080', 'sec-fetch-site': 'same-origin' })).toBe(
      true,
    );
    expect(from({ host: 'premiere.example' })).toBe(true); // an app, curl
    expect(from({ host: 'premiere.example', 'sec-fetch-site': 'none' })).toBe(true); // the address bar
  });

  it('refuses another site, another port, an opaque origin, and anything a browser marks cross-site', () => {
    expect(from({ origin: 'https://evil.example', 'x-forwarded-host': 'premiere.example' })).toBe(false);
    expect(from({ origin: 'https://premiere.example.evil.example', 'x-forwarded-host': 'premiere.example' })).toBe(
      false,
    );
    expect(
      from({
        origin: 'https://shop.premiere.example',
        'x-forwarded-host': 'premiere.example',
        'sec-fetch-site': 'same-site',
      }),
    ).toBe(false);
    expect(from({ origin: 'http://localhost:9999', 'x-forwarded-host': 'localhost:8080' })).toBe(false);
    expect(
      from({ origin: 'https://premiere.example', 'x-forwarded-host': 'evil.example', host: 'premiere.example' }),
    ).toBe(false); // the edge's word wins
    expect(from({ origin: 'https://premiere.example', 'x-forwarded-host': 'premiere.example@evil.example' })).toBe(
      false,
    );
    expect(from({ origin: 'null', host: 'premiere.example' })).toBe(false);
    expect(from({ origin: 'file://', host: 'premiere.example' })).toBe(false);
    expect(from({ origin: 'https://premiere.example' })).toBe(false); // no host to compare with
    expect(from({ 'sec-fetch-site': 'cross-site', host: 'premiere.example' })).toBe(false);
    expect(from({ 'sec-fetch-site': 'cross-site', origin: 'https://premiere.example', host: 'premiere.example' })).toBe(
      false,
    );
  });
});

describe('framing: no other site may frame what a function answers', () => {
  const issueTokenRunning = runIssueToken();

  it('says so on pages, error pages, the API and refusals alike (the browser test: issue-token/test/security-browser.test.ts)', async () => {
    const answers = [
      await fetch(`${issueTokenRunning.url}/waiting-room/no-such-show`, { headers: { accept: 'text/html' } }), // a page (404)
      await fetch(`${issueTokenRunning.url}/waiting-room/api/shows/no-such-show/join`, {
        method: 'POST',
        headers: { 'x-session-id': SESSION },
      }), // JSON 404
      await fetch(`${issueTokenRunning.url}/waiting-room/api/shows/${SHOW}/status`, {
        headers: { authorization: 'Bearer nonsense', 'x-session-id': SESSION },
      }), // 401
      await fetch(`${issueTokenRunning.url}/healthz`), // 200
    ];
    for (const res of answers) {
      expect([
        res.url,
        res.status,
        res.headers.get('content-security-policy'),
        res.headers.get('x-frame-options'),
      ]).toEqual([res.url, res.status, "frame-ancestors 'self'", 'SAMEORIGIN']);
    }
    expect(answers.map((a) => a.status)).toEqual([404, 404, 401, 200]);
  });
});

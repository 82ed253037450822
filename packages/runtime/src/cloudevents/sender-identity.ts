import { createHash, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { BoundedMap } from '../bounded-map';
import { callHttp } from '../http-client';
import type { Logger } from '../logger';

/**
 * Who may post a CloudEvent to a function's /events: only the broker (and our PingSources), as
 * Knative Eventing's sender identity (`authentication-oidc`) proves it. Each delivery carries an
 * `Authorization: Bearer <JWT>` the cluster's service-account issuer signed for the function's
 * audience; the function checks the signature against the issuer's published keys (JWKS), the
 * issuer, the audience and the expiry. Locally the broker is an issuer of its own, serving its keys
 * the same way (local-stack/src/broker.ts), so this same code checks every delivery there too.
 */

/** A delivery that does not prove it comes from the broker: 401, and nothing is handled. */
export class EventUnauthenticated extends Error {
  readonly status = 401;
}

/** The issuer's keys cannot be had (the API server unreachable): 503, so the broker retries. */
export class SenderKeysUnavailable extends Error {
  readonly status = 503;
}

/** Asymmetric signatures only: a key published for verifying can never serve as an HMAC secret. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512'];
/** Where Kubernetes mounts a pod's own service-account token and the cluster's CA. */
const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Keys are fetched again this often (rotation), and at most this often for an unknown key id. */
const KEYS_MAX_AGE_MS = 10 * 60_000;
const REFETCH_UNKNOWN_KEY_MS = 30_000;
/** Tokens already checked, so a burst of deliveries pays for one signature each (bounded). */
const VERIFIED_KEPT = 1_000;

export interface SenderIdentityOptions {
  audience: string;
  issuer: string;
  /**
   * The sender's identity must start with this: on a cluster `system:serviceaccount:<namespace>:`,
   * where Knative makes the service accounts of our Triggers and PingSources. Whoever may run a pod
   * elsewhere can have the cluster sign a token for any audience, but not as one of ours.
   */
  subjectPrefix?: string;
  /** The issuer's keys given directly; else fetched from `jwksUrl`. */
  jwks?: JSONWebKeySet;
  jwksUrl: string;
  log: Logger;
}

/** The reason a token was refused, in words an operator can act on (never the token itself). */
function reasonOf(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'the token is for another audience';
    if (err.claim === 'iss') return 'the token is from another issuer';
    if (err.claim === 'nbf' || err.claim === 'iat') return 'the token is not valid yet';
    return `the token's "${err.claim}" claim is not acceptable`;
  }
  if (err instanceof errors.JWKSNoMatchingKey) return 'the token is signed with a key its issuer does not publish';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token was forged or altered (bad signature)';
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return 'the token is signed with an algorithm that is not accepted';
  return 'the token is malformed';
}

export class SenderIdentity {
  private keys?: { get: JWTVerifyGetKey; fetchedAt: number };
  private fetching?: Promise<JWTVerifyGetKey>;
  private lastForcedFetch = 0;
  private readonly verified = new BoundedMap<string, number>(VERIFIED_KEPT);

  constructor(private readonly opts: SenderIdentityOptions) {
    if (opts.jwks) this.keys = { get: createLocalJWKSet(opts.jwks), fetchedAt: Infinity };
  }

  /** Resolves if `authorization` proves the broker sent this delivery; else throws EventUnauthenticated. */
  async verify(authorization: unknown): Promise<void> {
    const token =
      typeof authorization === 'string' && authorization.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
    if (!token)
      throw new EventUnauthenticated(
        'events are accepted only from the broker: send its token as "Authorization: Bearer <token>"',
      );
    const known = this.verified.get(token);
    if (known !== undefined && known > Date.now() / 1000) return;
    const exp = await this.check(token);
    this.verified.set(token, exp);
  }

  private async check(token: string): Promise<number> {
    let payload: JWTPayload;
    try {
      payload = await this.verifyWith(token, false).catch((err) => {
        // A key the issuer may have rotated in since we last looked: ask again (not too often).
        if (err instanceof errors.JWKSNoMatchingKey && this.mayRefetch()) return this.verifyWith(token, true);
        throw err;
      });
    } catch (err) {
      if (err instanceof SenderKeysUnavailable) throw err;
      throw new EventUnauthenticated(reasonOf(err));
    }
    const prefix = this.opts.subjectPrefix ?? '';
    if (!String(payload.sub ?? '').startsWith(prefix))
      throw new EventUnauthenticated(
        `the token's sender is not one of ours (its subject does not start with "${prefix}")`,
      );
    return payload.exp!;
  }

  private async verifyWith(token: string, refetchKeys: boolean): Promise<JWTPayload> {
    const options = {
      issuer: this.opts.issuer,
      audience: this.opts.audience,
      algorithms: ALGORITHMS,
      requiredClaims: ['exp'],
      clockTolerance: 5,
    };
    return (await jwtVerify(token, await this.keySet(refetchKeys), options)).payload;
  }

  private mayRefetch(): boolean {
    if (this.opts.jwks || Date.now() - this.lastForcedFetch < REFETCH_UNKNOWN_KEY_MS) return false;
    this.lastForcedFetch = Date.now();
    return true;
  }

  private async keySet(force: boolean): Promise<JWTVerifyGetKey> {
    if (this.keys && !force && Date.now() - this.keys.fetchedAt < KEYS_MAX_AGE_MS) return this.keys.get;
    this.fetching ??= this.fetchKeys().finally(() => (this.fetching = undefined));
    try {
      return await this.fetching;
    } catch (err) {
      if (!this.keys)
        throw new SenderKeysUnavailable(
          `the event issuer's keys could not be fetched from ${this.opts.jwksUrl}: ${(err as Error).message}`,
        );
      // Keep the keys we have; look again in a while rather than on every delivery.
      this.opts.log.warn(
        { jwksUrl: this.opts.jwksUrl, err: (err as Error).message },
        'event issuer keys not refreshed; using the ones we have',
      );
      this.keys.fetchedAt = Date.now() - KEYS_MAX_AGE_MS + REFETCH_UNKNOWN_KEY_MS;
      return this.keys.get;
    }
  }

  private async fetchKeys(): Promise<JWTVerifyGetKey> {
    const url = new URL(this.opts.jwksUrl);
    const headers: Record<string, string> = { accept: 'application/json' };
    let ca: Buffer | undefined;
    // The cluster's API server publishes the keys to every service account: present ours (and
    // trust the cluster's CA). Never send that token anywhere else.
    if (url.protocol === 'https:' && /^kubernetes\.default\.svc(\.|$)/.test(url.hostname)) {
      try {
        headers.authorization = `Bearer ${readFileSync(`${SERVICE_ACCOUNT_DIR}/token`, 'utf8').trim()}`;
        ca = readFileSync(`${SERVICE_ACCOUNT_DIR}/ca.crt`);
      } catch {
        /* not in a pod: ask without */
      }
    }
    const res = await callHttp(url.toString(), { method: 'GET', headers, ca, timeoutMs: 5_000 });
    if (res.status !== 200) throw new Error(`answered ${res.status}`);
    const jwks = JSON.parse(res.text) as JSONWebKeySet;
    if (!Array.isArray(jwks?.keys)) throw new Error('the answer is not a JWKS (no "keys")');
    const get = createLocalJWKSet(jwks);
    this.keys = { get, fetchedAt: Date.now() };
    return get;
  }
}

/**
 * The token a function presents to the broker with every event it sends: Knative's SinkBinding
 * mounts it (when sender identity is on) and renews it in place, so it is read again now and then.
 */
export class SinkToken {
  private value?: string;
  private readAt = -Infinity;

  constructor(
    private readonly file: string,
    private readonly maxAgeMs = 30_000,
  ) {}

  /** `Bearer <token>`, or undefined when there is no token file (sender identity is off). */
  authorization(): string | undefined {
    if (Date.now() - this.readAt >= this.maxAgeMs) {
      this.readAt = Date.now();
      try {
        this.value = readFileSync(this.file, 'utf8').trim() || undefined;
      } catch {
        this.value = undefined;
      }
    }
    return this.value && `Bearer ${this.value}`;
  }
}

const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * An OIDC-style issuer of event tokens (ES256 JWTs): the local broker is one, signing its
 * deliveries and serving its keys as the cluster's service-account issuer does; tests use one too.
 */
export class EventIssuer {
  readonly keyId: string;
  private readonly publicJwk: JWK;

  /** `privateKey` (P-256): a key kept elsewhere, so that an issuer started again signs as before; by default a new one. */
  constructor(
    readonly url: string,
    private readonly privateKey: KeyObject = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
  ) {
    const publicKey = createPublicKey(privateKey);
    this.publicJwk = publicKey.export({ format: 'jwk' }) as JWK;
    // Named by the key itself: the same key is the same kid wherever and whenever it is loaded.
    this.keyId = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex')
      .slice(0, 16);
  }

  /** The public keys, as `/openid/v1/jwks` serves them. */
  jwks(): JSONWebKeySet {
    return { keys: [{ ...this.publicJwk, kid: this.keyId, alg: 'ES256', use: 'sig' }] };
  }

  /** The discovery document, as `/.well-known/openid-configuration` serves it. */
  discovery(): Record<string, unknown> {
    return {
      issuer: this.url,
      jwks_uri: `${this.url}/openid/v1/jwks`,
      id_token_signing_alg_values_supported: ['ES256'],
    };
  }

  /** A signed token for `audience`, naming `subject` (the sender's identity); `issuer` for tests of a wrong one. */
  token(
    audience: string,
    subject: string,
    opts: { ttlSeconds?: number; nowSeconds?: number; issuer?: string } = {},
  ): string {
    const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
    const header = b64url({ alg: 'ES256', typ: 'JWT', kid: this.keyId });
    const payload = b64url({
      iss: opts.issuer ?? this.url,
      aud: [audience],
      sub: subject,
      iat: now,
      nbf: now,
      exp: now + (opts.ttlSeconds ?? 3_600),
    });
    const signature = sign('sha256', Buffer.from(`${header}.${payload}`), {
      key: this.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${header}.${payload}.${signature.toString('base64url')}`;
  }
}

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import Boom from '@hapi/boom';
import Joi from 'joi';
import { BoundedMap, type EnvSpec } from '@premiere/runtime';

/**
 * Signed tokens: `<key id>.<payload>.<signature>`, base64url, HMAC-SHA256 over `<key id>.<payload>`.
 * Signed with the last key listed in TOKEN_SIGNING_KEYS and verified with whichever key id the
 * token names, so a new key can be added (listed last) while tokens signed with the old one stay
 * valid until they expire.
 */
export const tokenEnv = {
  TOKEN_SIGNING_KEYS: {
    schema: Joi.string()
      .custom((text: string) => {
        const keys = Joi.attempt(
          JSON.parse(text),
          Joi.object()
            .pattern(/^[A-Za-z0-9_-]{1,32}$/, Joi.string().min(32))
            .min(1)
            .required(),
        );
        return keys as Record<string, string>;
      })
      .required(),
    expect: 'JSON: key id → key of at least 32 characters, e.g. {"k1":"…"}; tokens are signed with the last one',
    secret: true,
  },
} satisfies EnvSpec;

export interface TokenClaims {
  /** What the token is for: a place in a waiting room, or entry into the protected zone. */
  typ: 'queue' | 'access';
  show: string;
  /** The visitor's number in the show's waiting room. */
  vid: number;
  /** The place in line; null while the visitor is in the pre-queue (drawn when sales open). */
  place: number | null;
  /** A hash of the session the token is bound to. */
  ses: string;
  /** Issued at and expiry, in seconds since the epoch. */
  iat: number;
  exp: number;
}

/** Why a token was refused: 401 when it is not ours or no longer valid, 403 when it is not yours. */
export class TokenRefused extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'TokenRefused';
  }

  /** The HTTP answer: 401 or 403 with the reason, and `hint` (where to go instead) after it. */
  toBoom(hint?: string): Boom.Boom {
    const message = hint ? `${this.message}; ${hint}` : this.message;
    return this.status === 401 ? Boom.unauthorized(message) : Boom.forbidden(message);
  }
}

const TOKEN = /^([A-Za-z0-9_-]{1,32})\.([A-Za-z0-9_-]{1,2048})\.([A-Za-z0-9_-]{43})$/;

/** Tokens whose signature was checked, so a visitor's next poll skips the HMAC (bounded). */
const VERIFIED_KEPT = 20_000;

export class TokenSigner {
  private readonly keys: Map<string, Buffer>;
  private readonly current: string;
  private readonly verified = new BoundedMap<string, TokenClaims>(VERIFIED_KEPT);

  constructor(keys: Record<string, string>) {
    this.keys = new Map(Object.entries(keys).map(([id, key]) => [id, Buffer.from(key, 'utf8')]));
    if (this.keys.size === 0) throw new Error('no token signing key');
    this.current = [...this.keys.keys()].at(-1)!;
  }

  private mac(keyId: string, payload: string): Buffer {
    return createHmac('sha256', this.keys.get(keyId)!).update(`${keyId}.${payload}`).digest();
  }

  sign(claims: TokenClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${this.current}.${payload}.${this.mac(this.current, payload).toString('base64url')}`;
  }

  /**
   * The claims of a token that is ours, unaltered and unexpired, of the type and show expected and
   * bound to `session`; else throws TokenRefused saying which check failed.
   */
  verify(
    token: string,
    expect: { typ: TokenClaims['typ']; show: string; session: string },
    nowSeconds = Date.now() / 1000,
  ): TokenClaims {
    const claims = this.verified.get(token) ?? this.checkSignature(token);
    if (claims.exp <= nowSeconds) throw new TokenRefused(401, 'the token has expired');
    if (claims.typ !== expect.typ)
      throw new TokenRefused(
        403,
        `this is ${claims.typ === 'access' ? 'an access' : 'a queue'} token, not ${expect.typ === 'access' ? 'an access' : 'a queue'} token`,
      );
    if (claims.show !== expect.show) throw new TokenRefused(403, 'the token is for another show');
    if (claims.ses !== sessionHash(expect.session)) throw new TokenRefused(403, 'the token belongs to another session');
    return claims;
  }

  private checkSignature(token: string): TokenClaims {
    const m = TOKEN.exec(token);
    if (!m) throw new TokenRefused(401, 'the token is malformed');
    const [, keyId, payload, signature] = m;
    if (!this.keys.has(keyId)) throw new TokenRefused(401, 'the token was not signed by premiere (unknown key id)');
    // The signature's text is compared, not its decoded bytes: base64url's last character has unused
    // bits, so several spellings decode alike, and only the one premiere writes is ours.
    if (!timingSafeEqual(Buffer.from(this.mac(keyId, payload).toString('base64url')), Buffer.from(signature))) {
      throw new TokenRefused(401, 'the token was forged or altered (bad signature)');
    }
    const claims = parseClaims(payload);
    this.verified.set(token, claims);
    return claims;
  }
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * The claims of a signed payload, checked one by one: only what premiere itself writes passes (the
 * canonical base64url of a JSON object with every claim of its type); anything else is a 401 with
 * the reason. Claims it does not know are left out, so a newer signer's extra claim is harmless.
 */
function parseClaims(payload: string): TokenClaims {
  const bytes = Buffer.from(payload, 'base64url');
  if (bytes.toString('base64url') !== payload)
    throw new TokenRefused(401, 'the token’s payload is not canonical base64url');
  let c: unknown;
  try {
    c = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new TokenRefused(401, 'the token’s payload is not JSON');
  }
  if (typeof c !== 'object' || c === null || Array.isArray(c))
    throw new TokenRefused(401, 'the token’s payload is not a JSON object');
  const { typ, show, vid, place, ses, iat, exp } = c as Record<string, unknown>;
  const wrong =
    typ !== 'queue' && typ !== 'access'
      ? 'typ'
      : typeof show !== 'string'
        ? 'show'
        : !isCount(vid)
          ? 'vid'
          : place !== null && !isCount(place)
            ? 'place'
            : typeof ses !== 'string'
              ? 'ses'
              : !isTime(iat)
                ? 'iat'
                : !isTime(exp)
                  ? 'exp'
                  : null;
  if (wrong) throw new TokenRefused(401, `the token’s claims are malformed ("${wrong}")`);
  return { typ, show, vid, place, ses, iat, exp } as TokenClaims;
}

const sessionHashes = new BoundedMap<string, string>(VERIFIED_KEPT);

/**
 * What a token (and Redis) carries of its session: enough to bind it, nothing that could be
 * replayed. Session ids are long random strings, so a plain SHA-256 cannot be reversed.
 */
export function sessionHash(session: string): string {
  let hash = sessionHashes.get(session);
  if (hash === undefined) {
    hash = createHash('sha256').update(session).digest('base64url').slice(0, 22);
    sessionHashes.set(session, hash);
  }
  return hash;
}

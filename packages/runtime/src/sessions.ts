import { randomBytes } from 'node:crypto';
import Boom from '@hapi/boom';
import type { Request, ResponseToolkit, ServerStateCookieOptions } from '@hapi/hapi';

/** The browser's session cookie: the one thing that binds a visitor to their tokens (set by issue-token, read by reserve-seat too). */
export const SESSION_COOKIE = 'premiere_session';
/** Apps send their own session id instead. */
export const SESSION_HEADER = 'x-session-id';
export const SESSION_ID = /^[A-Za-z0-9_-]{16,128}$/;

/** SESSION_COOKIE_SECURE: `auto` (Secure when the edge says the request came over https), `true`, `false`. */
export type CookieSecurity = 'auto' | 'true' | 'false';

export function cookieOptions(secure: CookieSecurity): ServerStateCookieOptions {
  return {
    isHttpOnly: true,
    isSameSite: 'Lax',
    isSecure: secure === 'true',
    path: '/',
    encoding: 'none',
    strictHeader: true,
    // A mangled cookie is treated as none (a new session), not as a 400.
    ignoreErrors: true,
    clearInvalid: true,
  };
}

/**
 * Whether a cookie set in answer to `request` is Secure: the one rule for every cookie of ours.
 * With `auto`, when the edge says the visitor came over https (X-Forwarded-Proto, which the edge
 * takes from a trusted proxy or edge.forwardedProto, never from a client).
 */
export function cookieIsSecure(request: Request, secure: CookieSecurity): boolean {
  return secure === 'true' || (secure === 'auto' && request.headers['x-forwarded-proto'] === 'https');
}

/**
 * The request's session: an app's header, else the browser's cookie; null if it has none. A
 * malformed header is refused (400): checked here rather than by a Joi schema of all the headers,
 * which every status poll would pay for.
 */
export function sessionOf(request: Request): string | null {
  const header = request.headers[SESSION_HEADER];
  if (header !== undefined) {
    if (typeof header !== 'string' || !SESSION_ID.test(header)) throw Boom.badRequest(`"${SESSION_HEADER}" must be 16 to 128 letters, digits, "_" or "-"`);
    return header;
  }
  const cookie = (request.state as Record<string, unknown> | null)?.[SESSION_COOKIE];
  return typeof cookie === 'string' && SESSION_ID.test(cookie) ? cookie : null;
}

/** The request's session, or a new one set as the browser's cookie. */
export function sessionOrNew(request: Request, h: ResponseToolkit, secure: CookieSecurity): string {
  const existing = sessionOf(request);
  if (existing) return existing;
  const session = randomBytes(16).toString('base64url');
  setCookie(request, h, secure, SESSION_COOKIE, session);
  return session;
}

/**
 * Sets one of our cookies: HttpOnly, SameSite=Lax unless `options` say otherwise; Secure by
 * cookieIsSecure, which `options` cannot change.
 */
export function setCookie(request: Request, h: ResponseToolkit, secure: CookieSecurity, name: string, value: string, options: Omit<Partial<ServerStateCookieOptions>, 'isSecure'> = {}): void {
  h.state(name, value, { ...cookieOptions(secure), ...options, isSecure: cookieIsSecure(request, secure) });
}

/** A session is required (status, leave): 401 without one. */
export function requireSession(request: Request): string {
  const session = sessionOf(request);
  if (!session) throw Boom.unauthorized(`no session: send the ${SESSION_COOKIE} cookie or the ${SESSION_HEADER} header you joined with`);
  return session;
}

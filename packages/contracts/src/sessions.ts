import { randomBytes } from 'node:crypto';
import Boom from '@hapi/boom';
import type { Request, ResponseToolkit } from '@hapi/hapi';
import { setCookie, type CookieSecurity } from '@premiere/web';

/** The browser's session cookie: the one thing that binds a visitor to their tokens (set by issue-token, read by reserve-seat too). */
export const SESSION_COOKIE = 'premiere_session';
/** Apps send their own session id instead. */
export const SESSION_HEADER = 'x-session-id';
export const SESSION_ID = /^[A-Za-z0-9_-]{16,128}$/;

/**
 * The request's session: an app's header, else the browser's cookie; null if it has none. A
 * malformed header is refused (400): checked here rather than by a Joi schema of all the headers,
 * which every status poll would pay for.
 */
export function sessionOf(request: Request): string | null {
  const header = request.headers[SESSION_HEADER];
  if (header !== undefined) {
    if (typeof header !== 'string' || !SESSION_ID.test(header))
      throw Boom.badRequest(`"${SESSION_HEADER}" must be 16 to 128 letters, digits, "_" or "-"`);
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

/** A session is required (status, leave): 401 without one. */
export function requireSession(request: Request): string {
  const session = sessionOf(request);
  if (!session)
    throw Boom.unauthorized(
      `no session: send the ${SESSION_COOKIE} cookie or the ${SESSION_HEADER} header you joined with`,
    );
  return session;
}

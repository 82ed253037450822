import type { ServerRoute } from '@hapi/hapi';
import { setCookie, type CookieSecurity } from '../cookies';
import { LANGUAGE_COOKIE, LOCALES, type Locale } from './index';

/** A year: the choice sticks until the visitor changes it. */
const KEPT_MS = 365 * 86_400_000;

/** Where to go back to: a path of this site only (never "//elsewhere" or "https://…"). */
export function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(next) ? next : '/';
}

/**
 * GET /language/<locale>?next=<path>: the language switch every page carries. Sets the language
 * cookie (not HttpOnly: nothing secret; SameSite=Lax) and goes back to the page, which the edge
 * and browsers then keep apart by that cookie (Vary, and the edge's cache key). Secure as every
 * cookie of ours (`secure`: SESSION_COOKIE_SECURE).
 */
export function languageRoute(secure: CookieSecurity): ServerRoute {
  return {
    method: 'GET',
    path: '/language/{locale}',
    handler: (request, h) => {
      const locale = request.params.locale as string;
      const next = localPath(request.query.next);
      if (!(LOCALES as readonly string[]).includes(locale))
        return h.redirect(next).code(303).header('cache-control', 'no-store');
      setCookie(request, h, secure, LANGUAGE_COOKIE, locale as Locale, { ttl: KEPT_MS, isHttpOnly: false });
      return h.redirect(next).code(303).header('cache-control', 'no-store');
    },
  };
}

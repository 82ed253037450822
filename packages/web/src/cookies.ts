import type { Request, ResponseToolkit, ServerStateCookieOptions } from '@hapi/hapi';

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
 * Sets one of our cookies: HttpOnly, SameSite=Lax unless `options` say otherwise; Secure by
 * cookieIsSecure, which `options` cannot change.
 */
export function setCookie(
  request: Request,
  h: ResponseToolkit,
  secure: CookieSecurity,
  name: string,
  value: string,
  options: Omit<Partial<ServerStateCookieOptions>, 'isSecure'> = {},
): void {
  h.state(name, value, { ...cookieOptions(secure), ...options, isSecure: cookieIsSecure(request, secure) });
}

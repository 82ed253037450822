import Boom from '@hapi/boom';
import type { Request } from '@hapi/hapi';

/**
 * Cross-site request forgery: a page of another site can make its visitors' browsers POST to us (a
 * form, or a fetch with a "simple" content type, which needs no CORS preflight). Where that
 * changes something without the session cookie (joining takes a token for anyone), SameSite=Lax
 * does not help. Browsers say where a request comes from: `Sec-Fetch-Site`, and `Origin` on every
 * POST (and DELETE). A request marked cross-site, or whose Origin is not the host the edge saw, is
 * another site's. Apps, curl and old browsers send neither and pass: they are not a victim's
 * browser doing another site's bidding.
 */
export const CROSS_SITE_MESSAGE =
  'refused: this request was sent by a page of another site; join or leave from this site’s own pages (an app or script that sends no Origin header is not refused)';

/** Why the request must be refused as another site's, or null if it may go on. */
export function crossSiteRefusal(request: Request): string | null {
  if (request.headers['sec-fetch-site'] === 'cross-site') return CROSS_SITE_MESSAGE;
  const origin = headerOf(request, 'origin');
  if (origin === undefined) return null;
  return sameHost(origin, siteHost(request)) ? null : CROSS_SITE_MESSAGE;
}

/** Refuses (403) a request another site's page sent; for JSON routes that change something. */
export function refuseCrossSite(request: Request): void {
  const why = crossSiteRefusal(request);
  if (why) throw Boom.forbidden(why);
}

/** The host the visitor asked for: the edge's X-Forwarded-Host (it overwrites any sent), else Host. */
function siteHost(request: Request): string | undefined {
  const host = headerOf(request, 'x-forwarded-host') || headerOf(request, 'host');
  return host?.split(',')[0].trim();
}

const headerOf = (request: Request, name: string): string | undefined => {
  const value: unknown = request.headers[name];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Whether `origin` (scheme://host[:port], or "null" for an opaque one) names `host`. The ports
 * must match when the host has one (a default port counts as none); the chart's NGINX forwards the
 * host without its port (`$host`), and then the names alone are compared.
 */
function sameHost(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  let from: URL;
  let site: URL;
  try {
    from = new URL(origin);
    site = new URL(`${from.protocol}//${host}`);
  } catch {
    return false; // "null", or not a URL
  }
  if (from.origin === 'null' || site.username !== '' || site.pathname !== '/') return false;
  return /:\d+$/.test(host) ? from.host === site.host : from.hostname === site.hostname;
}

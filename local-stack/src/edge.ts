import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Logger } from '@premiere/runtime';
import type { Routes } from './declarations';

const underPrefix = (path: string, prefix: string) => prefix === '/' || path === prefix || path.startsWith(`${prefix}/`);

/** Which function answers `path`, by the declared routes (longest prefix wins), or why none does. */
export function resolveRoute(routes: Routes, path: string): { function: string; path: string } | { blocked: true } | null {
  if (routes.blocked.some((b) => underPrefix(path, b))) return { blocked: true };
  if (path.startsWith(`${routes.health}/`)) return { function: path.slice(routes.health.length + 1), path: '/readyz' };
  const match = routes.routes.filter((r) => underPrefix(path, r.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
  return match ? { function: match.function, path } : null;
}

/**
 * The local edge: premiere's one public origin. Routes each path to its function by the declared
 * routes (helm/premiere/routes.yaml), gives every request an x-request-id, and never forwards the
 * internal endpoints (event delivery, metrics).
 */
export function createEdge(opts: { routes: Routes; functions: Record<string, string>; log: Logger }): http.Server {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const fail = (res: http.ServerResponse, requestId: string, status: number, error: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId });
    res.end(JSON.stringify({ error }));
  };

  const server = http.createServer((req, res) => {
    const requestId = typeof req.headers['x-request-id'] === 'string' ? req.headers['x-request-id'] : randomUUID();
    const url = new URL(req.url ?? '/', 'http://edge');
    const route = resolveRoute(opts.routes, url.pathname);
    if (!route || 'blocked' in route) return fail(res, requestId, 404, `nothing is served at ${url.pathname}`);
    const target = opts.functions[route.function];
    if (!target) return fail(res, requestId, 404, `no function named ${route.function}`);

    const upstream = http.request(
      new URL(route.path + url.search, target),
      {
        method: req.method,
        agent,
        headers: {
          ...req.headers,
          'x-request-id': requestId,
          'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', '),
          'x-forwarded-host': req.headers.host ?? '',
          'x-forwarded-proto': 'http',
          // The visitor's address for per-address limits, set here whatever the client sent.
          'x-client-address': req.socket.remoteAddress ?? '',
        },
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, 'x-request-id': requestId });
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      opts.log.warn({ reqId: requestId, function: route.function, reason: err.message }, 'edge: function unreachable');
      if (!res.headersSent) fail(res, requestId, 502, `${route.function} is not answering; try again in a moment`);
      else res.destroy();
    });
    req.pipe(upstream);
  });
  server.on('close', () => agent.destroy());
  return server;
}

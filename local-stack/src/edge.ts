import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Logger } from '@premiere/runtime';
import type { Routes } from './declarations';
import { MAX_REQUEST_LINE, escapeUri, isValidHost, parseRequestUri } from './nginx-uri';

/**
 * The local edge decides as the chart's NGINX edge (helm/premiere/templates/edge-config.yaml) does: the
 * same locations, made from the same routes.yaml in the same order, chosen by NGINX's rules, on the
 * path as NGINX normalises it; and it forwards what NGINX forwards. helm/check's parity test runs
 * both on the same requests.
 */
export type EdgeAction =
  | { kind: 'self' } // the edge's own health
  | { kind: 'refuse'; error: string } // 404
  | { kind: 'health'; function: string } // that function's /readyz
  | { kind: 'proxy'; function: string }; // the request, its path as normalised

export interface EdgeLocation {
  /** NGINX's `location = p`, `location p`, `location ^~ p`, `location ~ p`. */
  match: 'exact' | 'prefix' | 'final-prefix' | 'regex';
  pattern: string;
  action: EdgeAction;
}

/** The functions with a public route: only they have a public health path. */
export const publicFunctions = (routes: Routes): string[] => [...new Set(routes.routes.map((r) => r.function))].sort();

/** The locations edge-config.yaml renders, in its order. */
export function edgeLocations(routes: Routes): EdgeLocation[] {
  const locations: EdgeLocation[] = [{ match: 'exact', pattern: routes.edgeHealth, action: { kind: 'self' } }];
  for (const blocked of routes.blocked)
    locations.push({
      match: 'regex',
      pattern: `^${blocked}(/|$)`,
      action: { kind: 'refuse', error: 'nothing is served here' },
    });
  for (const fn of publicFunctions(routes))
    locations.push({ match: 'exact', pattern: `${routes.health}/${fn}`, action: { kind: 'health', function: fn } });
  locations.push({
    match: 'final-prefix',
    pattern: `${routes.health}/`,
    action: { kind: 'refuse', error: 'no such function' },
  });
  for (const r of routes.routes) {
    const action: EdgeAction = { kind: 'proxy', function: r.function };
    if (r.prefix === '/') locations.push({ match: 'prefix', pattern: '/', action });
    else
      locations.push(
        { match: 'exact', pattern: r.prefix, action },
        { match: 'prefix', pattern: `${r.prefix}/`, action },
      );
  }
  return locations;
}

/**
 * PCRE's `$` (as NGINX compiles a location's regex) also matches before a final newline, which
 * JavaScript's does not: "/events\n" (sent as /events%0A) is blocked by NGINX.
 */
const compiled = new Map<string, RegExp>();
function pcre(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) compiled.set(pattern, (re = new RegExp(pattern.replace(/\$\)$/, '\\n?$)'))));
  return re;
}

/**
 * NGINX's choice of location for a path: an exact match; else the longest matching prefix if it is
 * `^~`; else the first matching regex, in the order written; else the longest matching prefix.
 */
export function chooseLocation(locations: EdgeLocation[], path: string): EdgeLocation | undefined {
  const exact = locations.find((l) => l.match === 'exact' && l.pattern === path);
  if (exact) return exact;
  const prefix = locations
    .filter((l) => (l.match === 'prefix' || l.match === 'final-prefix') && path.startsWith(l.pattern))
    .sort((a, b) => b.pattern.length - a.pattern.length)[0];
  if (prefix?.match === 'final-prefix') return prefix;
  return locations.find((l) => l.match === 'regex' && pcre(l.pattern).test(path)) ?? prefix;
}

export type EdgeDecision =
  /** Forwarded to `function` as `target` (the request target of the request line it is sent). */
  | { function: string; target: string }
  /** Answered by the edge itself: an error, or (200, no error) the edge's own health. */
  | { status: number; error?: string };

export interface EdgeRequest {
  method: string;
  /** The request target as sent (Node's req.url: one character per byte). */
  url: string;
  httpVersion?: string;
  /** Every Host header sent. */
  hosts?: string[];
}

/** What the edge does with a request: forward it (where, as what) or answer it (with what). */
export function decide(routes: Routes, request: EdgeRequest, locations = edgeLocations(routes)): EdgeDecision {
  const uri = parseRequestUri(request.url);
  const lineLength = `${request.method} ${request.url} HTTP/${request.httpVersion ?? '1.1'}\r\n`.length;
  // NGINX reads the request line into an 8k buffer: it notices a bad character within it (400),
  // or runs out of room first (414).
  if ('status' in uri && request.method.length + 1 + uri.at < MAX_REQUEST_LINE)
    return { status: 400, error: uri.reason };
  if (lineLength > MAX_REQUEST_LINE) return { status: 414, error: 'the request line is too long' };
  if ('status' in uri) return { status: 400, error: uri.reason };
  const hosts = request.hosts ?? [];
  if (hosts.length > 1 || !hosts.every(isValidHost)) return { status: 400, error: 'one valid Host header, please' };
  if (request.method === 'TRACE' || request.method === 'CONNECT')
    return { status: 405, error: `${request.method} is not allowed` };
  // A URI is ASCII: raw bytes above 0x7f (browsers send them percent-encoded) are refused, as the
  // chart's edge refuses them (Node's parser would anyway).
  if (/[\x80-\xff]/.test(request.url)) return { status: 400, error: 'a URI is ASCII: percent-encode anything else' };

  const location = chooseLocation(locations, uri.path);
  const action = location?.action ?? { kind: 'refuse', error: 'nothing is served here' };
  const query = uri.args ? `?${uri.args}` : '';
  switch (action.kind) {
    case 'self':
      return { status: 200 };
    case 'refuse':
      return { status: 404, error: action.error };
    case 'health':
      // `rewrite ^ /readyz break;` keeps the query.
      return { function: action.function, target: `/readyz${query}` };
    case 'proxy':
      // `rewrite ^ $uri break;`: the function is sent the path the edge decided on, not the one
      // the client spelled (hapi would resolve "/a%2Fb/../events" to /events; NGINX reads /a/events).
      return { function: action.function, target: `${escapeUri(uri.path)}${query}` };
  }
}

/** Node's names of the ways a request can be malformed, as NGINX answers them. */
function clientErrorStatus(err: NodeJS.ErrnoException): number {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 414; // the request line or headers past what fits: NGINX says 414 for a long URI
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  return 400;
}

/**
 * A request the edge tries once more when the function's connection is reset or refused before
 * any answer (a keep-alive connection closed by a function that is draining, a function
 * restarting; on a cluster, Knative's queue-proxy drains in front of the function instead): one
 * that may safely be done twice, a GET or HEAD, or one the client marked with an Idempotency-Key
 * (the IETF draft's header, as the payment provider's API takes it). A POST without one is never
 * sent twice: it may have been done. NGINX's proxy_next_upstream likewise retries only idempotent
 * methods (DEVELOPERS.md, "The edge").
 */
const isRetriable = (req: http.IncomingMessage) =>
  req.method === 'GET' || req.method === 'HEAD' || req.headers['idempotency-key'] !== undefined;
const RETRIED_ERRORS = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE']);
const RETRY_PAUSE_MS = 100;
/** What NGINX takes by default (client_max_body_size 1m); a body to send again is kept in memory. */
const MAX_RETRIED_BODY = 1024 * 1024;

/**
 * The local edge: premiere's one public origin. Routes each path to its function by the declared
 * routes (helm/premiere/routes.yaml) as NGINX does, gives every request an x-request-id, and never
 * forwards the internal endpoints (event delivery, metrics). `functions`: each function's base URL;
 * `forwardedProto`: the scheme they are told every visitor used (the chart's edge.forwardedProto;
 * default http, the edge's own). A client's X-Forwarded-Proto is never passed on: the local edge
 * has no trusted proxies.
 */
export function createEdge(opts: {
  routes: Routes;
  functions: Record<string, string>;
  forwardedProto?: 'http' | 'https';
  log: Logger;
}): http.Server {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const locations = edgeLocations(opts.routes);
  // A Map, not the object: a path may name "constructor" or "__proto__".
  const upstreams = new Map(Object.entries(opts.functions).map(([name, url]) => [name, new URL(url)]));
  const answer = (res: http.ServerResponse, requestId: string, status: number, error?: string) => {
    if (res.headersSent) return void res.destroy();
    if (error === undefined) {
      // No error: the edge's own health.
      res.writeHead(status, { 'content-type': 'text/plain', 'x-request-id': requestId }).end('ok\n');
      return;
    }
    // After a malformed request NGINX closes the connection; so does the edge.
    res.writeHead(status, {
      'content-type': 'application/json',
      'x-request-id': requestId,
      ...(status === 400 || status === 414 ? { connection: 'close' } : {}),
    });
    res.end(JSON.stringify({ error }));
  };

  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    requestId: string,
    fn: string,
    target: string,
  ) => {
    const base = upstreams.get(fn);
    if (!base) return answer(res, requestId, 502, `${fn} is not answering; try again in a moment`);
    const headers = {
      ...req.headers,
      'x-request-id': requestId,
      'x-forwarded-for': [req.headers['x-forwarded-for'], req.socket.remoteAddress].filter(Boolean).join(', '),
      'x-forwarded-host': req.headers.host ?? '',
      'x-forwarded-proto': opts.forwardedProto ?? 'http',
      // The visitor's address for per-address limits, set here whatever the client sent.
      'x-client-address': req.socket.remoteAddress ?? '',
    };
    /** `body`: sent whole (a request that may be tried again); else the client's is streamed. */
    const send = (body: Buffer | undefined, retries: number) => {
      const upstream = http.request({
        protocol: base.protocol,
        host: base.hostname,
        port: base.port,
        path: target,
        method: req.method,
        agent,
        headers,
      });
      upstream.on('response', (up) => {
        res.writeHead(up.statusCode ?? 502, { ...up.headers, 'x-request-id': requestId });
        up.pipe(res);
      });
      upstream.on('error', (err: NodeJS.ErrnoException) => {
        if (retries > 0 && !res.headersSent && RETRIED_ERRORS.has(err.code ?? '')) {
          opts.log.info(
            { reqId: requestId, function: fn, reason: err.message },
            'edge: connection to the function lost before an answer; trying once more',
          );
          return void setTimeout(() => send(body, retries - 1), RETRY_PAUSE_MS);
        }
        opts.log.warn({ reqId: requestId, function: fn, reason: err.message }, 'edge: function unreachable');
        answer(res, requestId, 502, `${fn} is not answering; try again in a moment`);
      });
      if (body) upstream.end(body);
      else req.pipe(upstream);
    };
    if (!isRetriable(req)) return send(undefined, 0);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_RETRIED_BODY) chunks.push(chunk);
    });
    req.on('end', () =>
      size > MAX_RETRIED_BODY
        ? answer(res, requestId, 413, 'the request body is larger than 1 MiB')
        : send(Buffer.concat(chunks), 1),
    );
  };

  const decideOn = (req: http.IncomingMessage) => {
    const hosts: string[] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      if (req.rawHeaders[i].toLowerCase() === 'host') hosts.push(req.rawHeaders[i + 1]);
    return decide(
      opts.routes,
      { method: req.method ?? 'GET', url: req.url ?? '/', httpVersion: req.httpVersion, hosts },
      locations,
    );
  };

  const server = http.createServer({ maxHeaderSize: 64 * 1024 }, (req, res) => {
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' ? given : randomUUID();
    try {
      const decision = decideOn(req);
      if ('status' in decision) {
        req.resume(); // a refused request's body is read and dropped
        return answer(res, requestId, decision.status, decision.error);
      }
      forward(req, res, requestId, decision.function, decision.target);
    } catch (err) {
      // No request may take the edge down: whatever was not foreseen is this request's 500.
      opts.log.error({ reqId: requestId, err }, 'edge: request failed');
      answer(res, requestId, 500, 'the edge could not handle this request');
    }
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) return socket.destroy();
    const status = clientErrorStatus(err);
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ error: err.code ?? 'bad request' })}`,
    );
  });
  // Node hands CONNECT over as a tunnel request, before its own check of the Host header: refused
  // as NGINX refuses it (no Host, or a host:port target, a bad request: 400; else 405).
  server.on('connect', (req, socket) => {
    const decision =
      req.headers.host === undefined && req.httpVersion !== '1.0'
        ? { status: 400, error: 'one valid Host header, please' }
        : decideOn(req);
    const [status, error] = 'status' in decision ? [decision.status, decision.error] : [405, 'CONNECT is not allowed'];
    socket.end(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${JSON.stringify({ error })}`,
    );
  });
  server.on('close', () => agent.destroy());
  return server;
}

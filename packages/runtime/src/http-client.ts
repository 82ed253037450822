import http from 'node:http';
import https from 'node:https';

/** Calls to other services reuse their connections (keep-alive), as fetch's pool does. */
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

/** No whole answer within the call's time. Named as fetch names it, so callers treat both alike. */
export class CallTimedOut extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

export interface CallAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/**
 * One HTTP call to a service of ours or a partner's, the whole answer read as text. Used on hot
 * paths (the legacy system, the broker) instead of fetch, which costs several times the CPU per
 * call in Node 20 (web streams): on a busy replica that CPU is time a legacy slot sits idle.
 * Connection errors reject with their code (`ECONNREFUSED`, ...); the timeout with CallTimedOut.
 * Redirects are answers like any other (not followed).
 */
export function callHttp(
  url: string,
  opts: {
    method: string;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs: number;
    /** Trust only this CA (https; no pooled connection). */ ca?: Buffer;
  },
): Promise<CallAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    const settle = (fn: () => void) => {
      clearTimeout(timer);
      fn();
    };
    const agent = opts.ca ? false : agents[target.protocol as keyof typeof agents];
    const req = client.request(
      target,
      { method: opts.method, headers: opts.headers, agent, ...(opts.ca ? { ca: opts.ca } : {}) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => settle(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, text })));
        res.on('error', (err) => settle(() => reject(err)));
      },
    );
    const timer = setTimeout(() => {
      reject(new CallTimedOut(opts.timeoutMs));
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (err) => settle(() => reject(err)));
    req.end(opts.body);
  });
}

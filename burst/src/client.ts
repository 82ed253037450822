import { Agent, request } from 'undici';
import type { Recorder, Step } from './recorder';

export interface Answer {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
  ms: number;
}

/** A timed-out or failed request: counted, and the visitor decides what a person would do. */
export class NoAnswer extends Error {}

/**
 * The crowd's HTTP client: keep-alive connections shared by every visitor (no browser), each
 * request timed and counted under the visitor's step.
 */
export class CrowdClient {
  private readonly agent: Agent;

  constructor(
    private readonly base: string,
    private readonly recorder: Recorder,
    private readonly timeoutMs: number,
    connections: number,
  ) {
    this.agent = new Agent({ connections, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  async call(
    step: Step,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    opts: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<Answer> {
    const r = this.recorder;
    r.requests++;
    const started = performance.now();
    try {
      const res = await request(`${this.base}${path}`, {
        method,
        dispatcher: this.agent,
        headers: {
          accept: 'application/json',
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
        body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
      });
      const text = await res.body.text();
      const ms = performance.now() - started;
      r.latencies[step].add(ms);
      if (res.statusCode >= 500) r.errors5xx[step]++;
      let body: unknown = null;
      if (text && String(res.headers['content-type'] ?? '').includes('json')) body = JSON.parse(text);
      return { status: res.statusCode, body, headers: res.headers, ms };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') r.timeouts[step]++;
      else r.otherErrors[step]++;
      throw new NoAnswer(`${step}: ${code ?? (err as Error).message}`);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

import autocannon from 'autocannon';

export interface Figures {
  rps: number;
  p50_ms: number;
  p99_ms: number;
}

export interface Target {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Status every answer must have (default 200); anything else fails the run. */
  expectStatus?: number;
  /**
   * What the baseline answers for this case (default a tiny JSON object): a case that serves a
   * large page is compared with hapi sending the same bytes, so the cost of moving them (mostly the
   * load generator's, on the same cores) is not counted against the function.
   */
  baselineAnswer?: { type: string; body: string };
  /** Changes each request before it is sent (e.g. a new session per request). */
  setupRequest?: (request: { headers?: Record<string, string> }) => { headers?: Record<string, string> };
}

/** One fixed-duration load run against `target`, printing progress to stderr each second. */
export async function measure(
  label: string,
  target: Target,
  opts: { durationS: number; connections: number },
): Promise<Figures> {
  let done!: (r: autocannon.Result) => void;
  let failed!: (e: Error) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => ((done = resolve), (failed = reject)));
  const instance = autocannon(
    {
      url: target.url,
      method: target.method ?? 'GET',
      headers: target.headers,
      body: target.body,
      ...(target.setupRequest ? { requests: [{ setupRequest: target.setupRequest as never }] } : {}),
      duration: opts.durationS,
      connections: opts.connections,
      pipelining: 1,
    },
    (err, result) => (err ? failed(err) : done(result)),
  );
  let second = 0;
  let wrong = 0;
  const expected = target.expectStatus ?? 200;
  let thisSecond = 0;
  const events = instance as unknown as NodeJS.EventEmitter; // the typings lag the emitted arguments
  events.on('tick', () => {
    if (++second > opts.durationS) return;
    process.stderr.write(
      `  ${label.padEnd(24)} ${String(second).padStart(3)}/${opts.durationS}s  ${thisSecond} req/s\n`,
    );
    thisSecond = 0;
  });
  events.on('response', (_client: unknown, statusCode: number) => {
    thisSecond++;
    if (statusCode !== expected) wrong++;
  });
  const result = await finished;
  if (result.errors > 0 || result.timeouts > 0 || wrong > 0) {
    throw new Error(
      `${label}: ${result.errors} errors, ${result.timeouts} timeouts, ${wrong} answers other than ${expected}`,
    );
  }
  return { rps: Math.round(result.requests.average), p50_ms: result.latency.p50, p99_ms: result.latency.p99 };
}

import { callHttp, Counter, Gauge, Histogram, type Logger, type Redis, type Registry } from '@premiere/runtime';
import { LEGACY_KEYS } from '../keys';
import { Bulkhead, BulkheadFull } from './bulkhead';
import { CircuitBreaker, CircuitOpen, type CircuitState } from './circuit-breaker';
import type { LegacyEnv } from './env';
import type { ConfigOf } from '@premiere/runtime';

/** The legacy system cannot take the call now: what a buyer sees as "the cinema's system is busy, retrying". */
export class LegacyBusy extends Error {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
    this.name = 'LegacyBusy';
  }
}

/** A call that changes something timed out: it may or may not have happened there. */
export class LegacyOutcomeUnknown extends Error {
  constructor(operation: string) {
    super(`the legacy system did not answer ${operation} in time; it may have done it`);
    this.name = 'LegacyOutcomeUnknown';
  }
}

/** The legacy system answered, and said no (4xx): seats taken, hold gone, unknown show. */
export class LegacyRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: { error?: string; seats?: string[] } | null,
  ) {
    super(`the legacy system refused: ${status} ${body?.error ?? ''}`.trim());
    this.name = 'LegacyRefused';
  }
}

export interface LegacySeat {
  seat: string;
  status: 'free' | 'held' | 'booked';
}

interface Call {
  operation: 'seats' | 'hold' | 'confirm' | 'release';
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** Safe to send again after a timeout (the legacy system answers a repeat the same way). */
  idempotent: boolean;
}

const STATE_VALUE: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };
const BACKOFF_BASE_MS = 100;
const BACKOFF_CAP_MS = 2_000;

/**
 * The only way to the cinema's legacy seat system. Every call takes a slot of the bulkhead shared
 * by all replicas (never more than LEGACY_CONCURRENCY in flight), has a timeout, is retried with
 * exponential backoff and full jitter on 503s, timeouts (when safe to repeat) and refused
 * connections, and goes through a circuit breaker that stops calling a system that keeps failing.
 */
export class LegacyClient {
  private readonly bulkhead: Bulkhead;
  private readonly breaker: CircuitBreaker;
  private readonly metrics;

  constructor(private readonly opts: { config: ConfigOf<LegacyEnv>; redis: Redis; registry: Registry; log: Logger }) {
    const { config } = opts;
    const registers = [opts.registry];
    this.metrics = {
      calls: new Counter({
        name: 'premiere_legacy_calls_total',
        help: 'Calls to the legacy seat system, by operation and outcome (ok, refused, unavailable, timeout, error)',
        labelNames: ['operation', 'outcome'] as const,
        registers,
      }),
      duration: new Histogram({
        name: 'premiere_legacy_call_seconds',
        help: 'Legacy call duration by operation',
        labelNames: ['operation'] as const,
        buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10],
        registers,
      }),
      slotWait: new Histogram({
        name: 'premiere_legacy_slot_wait_seconds',
        help: 'Time spent waiting for a bulkhead slot',
        buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30],
        registers,
      }),
      circuit: new Gauge({
        name: 'premiere_legacy_circuit_state',
        help: 'This process’s circuit to the legacy system: 0 closed, 1 half open, 2 open',
        registers,
      }),
      busy: new Counter({
        name: 'premiere_legacy_busy_total',
        help: 'Calls given up as busy (circuit open, no slot in time, retries spent)',
        labelNames: ['reason'] as const,
        registers,
      }),
    };
    this.bulkhead = new Bulkhead(opts.redis, {
      key: LEGACY_KEYS.bulkhead,
      usageKey: LEGACY_KEYS.usage,
      limit: config.LEGACY_CONCURRENCY,
      leaseMs: Math.max(config.LEGACY_SLOT_LEASE_MS, config.LEGACY_TIMEOUT_MS + 1_000),
      waitMs: config.LEGACY_SLOT_WAIT_MS,
    });
    this.breaker = new CircuitBreaker({
      failures: config.LEGACY_BREAKER_FAILURES,
      cooldownMs: config.LEGACY_BREAKER_COOLDOWN_MS,
      onChange: (state) => {
        this.metrics.circuit.set(STATE_VALUE[state]);
        opts.log.warn({ circuit: state }, `legacy circuit ${state.replace('_', ' ')}`);
      },
    });
  }

  get circuit(): CircuitState {
    return this.breaker.current;
  }

  async seats(showId: string): Promise<LegacySeat[]> {
    const body = (await this.call({
      operation: 'seats',
      method: 'GET',
      path: `/shows/${encodeURIComponent(showId)}/seats`,
      idempotent: true,
    })) as { seats: LegacySeat[] };
    return body.seats;
  }

  /** Holds seats; LegacyRefused 409 (with the taken seats) when some are not free. */
  async hold(showId: string, seats: string[]): Promise<{ holdId: string; expiresAt: string }> {
    return (await this.call({
      operation: 'hold',
      method: 'POST',
      path: `/shows/${encodeURIComponent(showId)}/holds`,
      body: { seats },
      idempotent: false,
    })) as { holdId: string; expiresAt: string };
  }

  /** Books a hold for good; LegacyRefused 410 when the hold has expired or was released. */
  async confirm(holdId: string): Promise<void> {
    await this.call({
      operation: 'confirm',
      method: 'POST',
      path: `/holds/${encodeURIComponent(holdId)}/confirm`,
      idempotent: true,
    });
  }

  /** Releases a hold (one that is gone already counts as released). */
  async release(holdId: string): Promise<void> {
    try {
      await this.call({
        operation: 'release',
        method: 'DELETE',
        path: `/holds/${encodeURIComponent(holdId)}`,
        idempotent: true,
      });
    } catch (err) {
      if (!(err instanceof LegacyRefused && err.status === 404)) throw err;
    }
  }

  private async call(call: Call): Promise<unknown> {
    const { LEGACY_RETRIES: retries, LEGACY_TIMEOUT_MS: timeoutMs, LEGACY_URL: base } = this.opts.config;
    for (let attempt = 0; ; attempt++) {
      const retry = await this.attempt(call, base, timeoutMs);
      if (retry.done) return retry.body;
      if (attempt >= retries) {
        this.metrics.busy.labels('retries').inc();
        throw new LegacyBusy(`the cinema's system is busy (${retry.reason}); please try again`, 2);
      }
      // Exponential backoff with full jitter, so retries from many buyers do not arrive together.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)));
    }
  }

  /** One try: {done, body} on an answer to keep, else why it is worth retrying. */
  private async attempt(
    call: Call,
    base: string,
    timeoutMs: number,
  ): Promise<{ done: true; body: unknown } | { done: false; reason: string }> {
    try {
      this.breaker.admit();
    } catch (err) {
      this.metrics.busy.labels('circuit_open').inc();
      throw new LegacyBusy(
        `the cinema's system is busy, retrying`,
        Math.max(1, Math.ceil((err as CircuitOpen).retryInMs / 1000)),
      );
    }
    const waitEnd = this.metrics.slotWait.startTimer();
    let slot;
    try {
      slot = await this.bulkhead.acquire();
    } catch (err) {
      if (!(err instanceof BulkheadFull)) throw err;
      this.metrics.busy.labels('no_slot').inc();
      throw new LegacyBusy(`the cinema's system is busy, retrying`, 2);
    } finally {
      waitEnd();
    }
    const end = this.metrics.duration.labels(call.operation).startTimer();
    const outcome = (o: string) => this.metrics.calls.labels(call.operation, o).inc();
    try {
      const res = await callHttp(`${base.replace(/\/$/, '')}${call.path}`, {
        method: call.method,
        headers: call.body ? { 'content-type': 'application/json' } : {},
        body: call.body ? JSON.stringify(call.body) : undefined,
        timeoutMs,
      });
      const body = res.text ? (JSON.parse(res.text) as unknown) : null;
      await slot.release();
      if (res.status >= 500) {
        outcome(res.status === 503 ? 'unavailable' : 'error');
        this.breaker.failed();
        // A 503 is the legacy system refusing before it does anything: always safe to retry.
        if (res.status === 503 || call.idempotent) return { done: false, reason: `it answered ${res.status}` };
        throw new LegacyOutcomeUnknown(call.operation);
      }
      this.breaker.succeeded();
      if (res.status >= 400) {
        outcome('refused');
        throw new LegacyRefused(res.status, body as { error?: string });
      }
      outcome('ok');
      return { done: true, body };
    } catch (err) {
      if (err instanceof LegacyRefused || err instanceof LegacyOutcomeUnknown) throw err;
      this.breaker.failed();
      const e = err as Error & { code?: string };
      if (e.name === 'TimeoutError') {
        // It may still be working on it: the slot stays taken until its lease ends.
        slot.abandon();
        outcome('timeout');
        if (!call.idempotent) throw new LegacyOutcomeUnknown(call.operation);
        return { done: false, reason: `no answer within ${timeoutMs} ms` };
      }
      await slot.release();
      outcome('error');
      // A refused connection never reached it; anything else may have, so only safe calls repeat.
      if (e.code === 'ECONNREFUSED' || call.idempotent) return { done: false, reason: e.code ?? e.message };
      throw new LegacyOutcomeUnknown(call.operation);
    } finally {
      end();
    }
  }
}

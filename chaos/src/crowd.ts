import { CrowdClient, NoAnswer, type Answer } from '@premiere/burst/client';
import type { Recorder, Step } from '@premiere/burst/recorder';

/** One answer the crowd got (or did not: status null), with when it was asked and answered (ms since the run's start). */
export interface Exchange {
  step: Step;
  status: number | null;
  sentAt: number;
  at: number;
}

/** What chaos remembers of one visitor of the waiting room, to tell whether it kept its place. */
export interface Place {
  show: string;
  token: string;
  /** The place the waiting room gave (null until sales open for the pre-queue). */
  place: number | null;
  /** The state last answered. */
  state: string;
  /** Left the line of its own accord (gave up, or done with the zone). */
  leftOnPurpose: boolean;
  /** Why it lost its place, when it did: told expired/left/unknown, or given another place. */
  lost: string | null;
  /** Its zone pass, once it entered seat selection. */
  zoneToken?: string;
}

const WAITING = new Set(['waiting', 'pre_queue']);
/** A visitor may hear these about itself only by its own doing (or a real sale): anything else means the waiting room forgot it. */
const SERVED = new Set(['admitted', 'finished', 'sold_out']);
/** Steps where the visitor itself handles "busy" (503 with Retry-After): chaos retries only the rest. */
const HANDLES_BUSY = new Set<Step>(['seatmap', 'hold', 'pay']);

/**
 * The burst's crowd client, for a crowd under faults: every exchange timestamped (5xx are allowed
 * only inside fault windows), a request that failed (5xx, no answer) asked again after a second or
 * two as a person's browser would until `stopAt`, and each visitor's place watched (a visitor is
 * known by its session header).
 */
export class ChaosClient extends CrowdClient {
  readonly exchanges: Exchange[] = [];
  readonly places = new Map<string, Place>();
  /** ms since the run's start after which a failed request is no longer asked again. */
  stopAt = Infinity;

  constructor(
    base: string,
    private readonly rec: Recorder,
    timeoutMs: number,
    connections: number,
  ) {
    super(base, rec, timeoutMs, connections);
  }

  override async call(
    step: Step,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    opts: { headers?: Record<string, string>; body?: unknown } = {},
  ): Promise<Answer> {
    const session = opts.headers?.['x-session-id'];
    if (step === 'leave' && session) this.leaving(session);
    for (;;) {
      const sentAt = this.rec.now();
      try {
        const a = await super.call(step, method, path, opts);
        this.exchanges.push({ step, status: a.status, sentAt, at: this.rec.now() });
        if (session) this.observe(session, step, path, a);
        const retry = a.status >= 500 && !(a.status === 503 && HANDLES_BUSY.has(step));
        if (!retry || this.rec.now() > this.stopAt) return a;
      } catch (err) {
        this.exchanges.push({ step, status: null, sentAt, at: this.rec.now() });
        if (!(err instanceof NoAnswer) || this.rec.now() > this.stopAt) throw err;
      }
      await new Promise((r) => setTimeout(r, 1_000 + Math.random() * 1_000));
    }
  }

  private leaving(session: string) {
    const p = this.places.get(session);
    if (p) p.leftOnPurpose = true;
  }

  private observe(session: string, step: Step, path: string, a: Answer) {
    if (step === 'join' && (a.status === 200 || a.status === 201)) {
      const show = decodeURIComponent(/\/shows\/([^/]+)\/join$/.exec(path)?.[1] ?? '');
      this.places.set(session, {
        show,
        token: a.body.token,
        place: a.body.status?.place ?? null,
        state: a.body.status?.state ?? 'waiting',
        leftOnPurpose: false,
        lost: null,
      });
      return;
    }
    const p = this.places.get(session);
    if (!p) return;
    if (step === 'enter' && a.status === 200 && a.body?.zoneToken) p.zoneToken = a.body.zoneToken;
    if (step === 'status') this.told(p, a);
  }

  /** A status answer for a visitor: whether the waiting room still knows it, at its place. */
  told(p: Place, a: Answer): void {
    if (a.status !== 200) {
      if (a.status !== null && a.status < 500 && !p.leftOnPurpose && p.lost === null)
        p.lost = `status answered ${a.status}`;
      return;
    }
    const s = a.body as { state: string; place: number | null; token?: string };
    if (s.token) p.token = s.token;
    const wasWaiting = WAITING.has(p.state);
    if (p.lost === null && !p.leftOnPurpose) {
      if (WAITING.has(s.state) && p.place !== null && s.place !== null && s.place !== p.place)
        p.lost = `moved from place ${p.place} to ${s.place}`;
      else if (!WAITING.has(s.state) && !SERVED.has(s.state))
        p.lost = `told "${s.state}"${wasWaiting ? ' while waiting' : ` after "${p.state}"`}`;
    }
    if (p.place === null && s.place !== null) p.place = s.place;
    p.state = s.state;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

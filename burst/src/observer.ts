import type { Recorder, Sample } from './recorder';
import type { Target } from './stack';

interface LegacyStats {
  limit: number;
  in_flight: number;
  max_concurrency: number;
  busy_ms: number;
}

async function json<T>(url: string, headers: Record<string, string> = {}): Promise<T | null> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(2_000) });
    return res.ok ? ((await res.json()) as T) : null;
  } catch {
    return null;
  }
}

/**
 * Watches the run once a second: the show's line and zone (the operators' API), the legacy
 * system's concurrency and busy time (its simulator's stats), the crowd's own counters; keeps
 * each second as a sample and prints a line of them.
 */
export class Observer {
  private timer?: NodeJS.Timeout;
  private lastRequests = 0;
  legacy: { limit: number | null; maxConcurrency: number | null } = { limit: null, maxConcurrency: null };

  constructor(
    private readonly target: Target,
    private readonly rec: Recorder,
    private readonly show: () => string,
    private readonly label: string | (() => string),
    private readonly visitors: number,
  ) {}

  /** Resets the legacy simulator's counters so the run's figures are its own. */
  async start(): Promise<void> {
    if (this.target.legacyStats)
      await fetch(this.target.legacyStats.replace(/\/stats$/, '/stats/reset'), { method: 'POST' }).catch(
        () => undefined,
      );
    this.timer = setInterval(() => void this.sample(), 1_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sample();
  }

  private async sample(): Promise<void> {
    const { rec, target } = this;
    const [room, legacy] = await Promise.all([
      target.adminToken
        ? json<{
            waiting: number;
            inside: number;
            capacity: number;
            seatsFree: number | null;
            paceSeconds: number | null;
          }>(`${target.edge}/admin/api/shows/${this.show()}`, { authorization: `Bearer ${target.adminToken}` })
        : null,
      target.legacyStats ? json<LegacyStats>(target.legacyStats) : null,
    ]);
    if (legacy) this.legacy = { limit: legacy.limit, maxConcurrency: legacy.max_concurrency };
    const s: Sample = {
      t: Math.round(rec.now() / 100) / 10,
      arrived: rec.visits.length,
      waiting: room?.waiting ?? null,
      inside: room?.inside ?? null,
      capacity: room?.capacity ?? null,
      seatsFree: room?.seatsFree ?? null,
      visitS: room?.paceSeconds ? Math.round(room.paceSeconds * room.capacity * 10) / 10 : null,
      sold: rec.sold,
      legacyInFlight: legacy?.in_flight ?? null,
      legacyBusyMs: legacy?.busy_ms ?? null,
      requests: rec.requests,
      errors5xx: rec.total(rec.errors5xx),
      timeouts: rec.total(rec.timeouts),
    };
    rec.samples.push(s);
    const rps = rec.requests - this.lastRequests;
    this.lastRequests = rec.requests;
    const num = (v: number | null) => (v === null ? '–' : String(v));
    process.stderr.write(
      `${typeof this.label === 'string' ? this.label : this.label()} ${String(Math.round(s.t)).padStart(4)}s  arrived ${s.arrived}/${this.visitors}  waiting ${num(s.waiting)}  inside ${num(s.inside)}/${num(s.capacity)}  ` +
        `sold ${s.sold}  sold-out answers ${rec.soldOutAnswers}  5xx ${s.errors5xx}  timeouts ${s.timeouts}  ` +
        `legacy ${num(s.legacyInFlight)}/${num(this.legacy.limit)} (max ${num(this.legacy.maxConcurrency)})  ${rps} req/s\n`,
    );
  }
}

import { STEPS, type Recorder, type Visit } from './recorder';

export interface Figures {
  visitors: number;
  purchases: number;
  seats_sold: number;
  capacity: number;
  oversold: number;
  errors_5xx: number;
  timeouts: number;
  legacy: {
    max_concurrency: number | null;
    limit: number | null;
    utilisation: number | null;
    utilisation_seats_left: number | null;
  };
  soldout_p99_ms: number | null;
  status_p99_ms: number | null;
  out_of_order: number;
  eta_error_pct: number | null;
  /** The 90th percentile of the same errors (%). */
  eta_error_p90_pct: number | null;
  generator_rps: number;
  /** The busiest second's requests: what the generator showed it can do, at the least. */
  generator_peak_rps: number;
  /** A visit's length as the waiting room measured it, the median over the seconds people waited with seats left (s): what ESTIMATE_VISIT_SECONDS should say for this crowd. */
  visit_s: number | null;
  // More than the agreed shape (never renamed): where the errors were, and what became of everyone.
  errors_5xx_by_step: Record<string, number>;
  timeouts_by_step: Record<string, number>;
  outcomes: Record<string, number>;
  latency_ms: Record<string, { count: number; p50: number | null; p90: number | null; p99: number | null }>;
  elapsed_s: number;
}

/**
 * Admitted ahead of someone earlier in line who was still waiting: B (place pB) is out of order
 * if some A with pA < pB asked for their status, and was told to wait, after B had already been
 * told it was admitted (by more than the status snapshot's age, `toleranceMs`). Polls only bound
 * when an admission happened, so this counts only what is certain.
 */
export function outOfOrder(visits: Visit[], toleranceMs = 1_000): number {
  const byShow = new Map<string, Visit[]>();
  for (const v of visits)
    if (v.place !== null && v.joinedAt !== null) (byShow.get(v.show) ?? byShow.set(v.show, []).get(v.show)!).push(v);
  let count = 0;
  for (const line of byShow.values()) {
    line.sort((a, b) => a.place! - b.place!);
    let latestWaitingAhead = -Infinity; // the last time anyone ahead was seen still waiting (and had not given up)
    for (const v of line) {
      if (v.admittedAt !== null && latestWaitingAhead > v.admittedAt + toleranceMs) count++;
      if (v.outcome !== 'gave_up' && v.lastWaitingAt !== null)
        latestWaitingAhead = Math.max(latestWaitingAhead, v.lastWaitingAt);
    }
  }
  return count;
}

/**
 * Each admitted visitor's error: the first estimate they were shown against the wait they had from
 * then to their admission, as a fraction, over visitors who waited 5 s or more; ascending.
 */
function etaErrors(visits: Visit[]): number[] {
  return visits
    .filter(
      (v) =>
        v.firstEstimateS !== null &&
        v.estimatedAt !== null &&
        v.admissionAt !== null &&
        v.admissionAt - v.estimatedAt >= 5_000,
    )
    .map((v) => {
      const actual = (v.admissionAt! - v.estimatedAt!) / 1000;
      return Math.abs(v.firstEstimateS! - actual) / actual;
    })
    .sort((a, b) => a - b);
}

const percentOf = (errors: number[], p: number) =>
  errors.length ? Math.round(errors[Math.min(errors.length - 1, Math.floor(p * errors.length))] * 1000) / 10 : null;

/** The median absolute error of the first estimate against the actual wait from then, in %, over visitors who waited 5 s or more. */
export function etaErrorPct(visits: Visit[]): number | null {
  return percentOf(etaErrors(visits), 0.5);
}

/** The 90th percentile of the same errors, in %. */
export function etaErrorP90Pct(visits: Visit[]): number | null {
  return percentOf(etaErrors(visits), 0.9);
}

/**
 * The legacy system's utilisation while people waited: its busy time over the seconds in which
 * someone was in line, against the limit × those seconds. With `seatsLeft`, only the seconds in
 * which seats were also left to sell (neither held nor sold): while every seat is held, there is
 * nothing for the legacy system to do, however long the line.
 */
export function utilisationWhileWaiting(rec: Recorder, limit: number | null, seatsLeft = false): number | null {
  if (!limit) return null;
  let busy = 0;
  let span = 0;
  for (let i = 1; i < rec.samples.length; i++) {
    const [a, b] = [rec.samples[i - 1], rec.samples[i]];
    if (a.legacyBusyMs === null || b.legacyBusyMs === null || !(b.waiting ?? 0)) continue;
    if (seatsLeft && a.seatsFree === 0 && b.seatsFree === 0) continue;
    busy += b.legacyBusyMs - a.legacyBusyMs;
    span += (b.t - a.t) * 1000;
  }
  return span > 0 ? Math.round((busy / (limit * span)) * 100) / 100 : null;
}

export function figuresOf(
  rec: Recorder,
  opts: { capacity: number; legacy: { limit: number | null; maxConcurrency: number | null }; naive: boolean },
): Figures {
  const elapsedS = rec.now() / 1000;
  const sold = rec.visits.flatMap((v) => v.seats);
  const outcomes: Record<string, number> = {};
  for (const v of rec.visits) {
    const outcome = v.outcome === 'pending' ? `unfinished_${v.stage}` : v.outcome;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  }
  return {
    visitors: rec.visits.length,
    purchases: outcomes.bought ?? 0,
    seats_sold: new Set(sold).size,
    capacity: opts.capacity,
    oversold: sold.length - new Set(sold).size,
    errors_5xx: rec.total(rec.errors5xx),
    timeouts: rec.total(rec.timeouts),
    legacy: {
      max_concurrency: opts.legacy.maxConcurrency,
      limit: opts.legacy.limit,
      // The naive design has no line: its utilisation is over the whole run.
      utilisation: opts.naive
        ? wholeRunUtilisation(rec, opts.legacy.limit)
        : utilisationWhileWaiting(rec, opts.legacy.limit),
      utilisation_seats_left: opts.naive ? null : utilisationWhileWaiting(rec, opts.legacy.limit, true),
    },
    soldout_p99_ms: rec.soldOut.percentile(99),
    status_p99_ms: rec.latencies.status.percentile(99),
    out_of_order: outOfOrder(rec.visits),
    eta_error_pct: etaErrorPct(rec.visits),
    eta_error_p90_pct: etaErrorP90Pct(rec.visits),
    generator_rps: Math.round(rec.requests / elapsedS),
    generator_peak_rps:
      Math.max(
        0,
        ...rec.samples.map(
          (s, i) =>
            (i ? s.requests - rec.samples[i - 1].requests : s.requests) /
            Math.max(0.001, i ? s.t - rec.samples[i - 1].t : s.t),
        ),
      ) | 0,
    errors_5xx_by_step: { ...rec.errors5xx },
    timeouts_by_step: { ...rec.timeouts },
    outcomes,
    latency_ms: Object.fromEntries(
      STEPS.map((s) => [
        s,
        {
          count: rec.latencies[s].count,
          p50: rec.latencies[s].percentile(50),
          p90: rec.latencies[s].percentile(90),
          p99: rec.latencies[s].percentile(99),
        },
      ]),
    ),
    elapsed_s: Math.round(elapsedS * 10) / 10,
    visit_s: median(
      rec.samples.filter((s) => s.visitS !== null && (s.waiting ?? 0) > 0 && s.seatsFree !== 0).map((s) => s.visitS!),
    ),
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
}

function wholeRunUtilisation(rec: Recorder, limit: number | null): number | null {
  const samples = rec.samples.filter((s) => s.legacyBusyMs !== null);
  if (!limit || samples.length < 2) return null;
  const [a, b] = [samples[0], samples[samples.length - 1]];
  return Math.round(((b.legacyBusyMs! - a.legacyBusyMs!) / (limit * (b.t - a.t) * 1000)) * 100) / 100;
}

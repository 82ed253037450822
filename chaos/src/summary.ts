import type { Finding } from './invariants';

/** One fault as the summary tells it: its window (ms since the run's start) and how long the part took to come back (null: it did not). */
export interface FaultRecord {
  name: string;
  start_ms: number;
  end_ms: number;
  recovered_ms: number | null;
  /** 5xx (and unanswered requests) the crowd met inside the window and its grace. */
  errors_5xx: number;
  /** SIGTERM under load: requests sent before the signal, and how many of them failed. */
  in_flight?: number;
  dropped?: number;
  /** What happened besides (not restarted by the supervisor, started again by chaos). */
  note?: string;
  /** Parts other than the one hurt that died meanwhile (a function that crashed when Redis or PostgreSQL went away). */
  restarted?: string[];
}

/** A finding, or why it could not be made (the run then fails: an invariant nobody checked does not hold). */
export type Checked = Finding | { unchecked: string };

export interface Findings {
  oversold: Checked;
  doubleCharges: Checked;
  unrefunded: Checked;
  /** Tickets issued for an order nobody paid: not in the summary's shape, but a failure all the same. */
  unpaidTickets: Checked;
  legacyAgrees: Checked;
  stuckOrders: Checked;
  outbox: Checked;
  deadLettersLeft: Checked;
  deadLettersLost: Checked;
  lostPlaces: Checked;
  errorsOutside: Checked;
  legacyLimit: Checked;
}

export interface ChaosSummary {
  chaos: {
    faults: FaultRecord[];
    visitors: number;
    purchases: number;
    oversold: number | null;
    double_charges: number | null;
    unrefunded: number | null;
    stuck_orders: number | null;
    lost_places: number | null;
    lost_events: number | null;
    dead_letters_left: number | null;
    errors_5xx_outside_faults: number | null;
    legacy: { max_concurrency: number | null; limit: number | null };
  };
}

const countOf = (c: Checked): number | null => ('unchecked' in c ? null : c.count);
const sum = (...cs: Checked[]): number | null =>
  cs.some((c) => 'unchecked' in c) ? null : cs.reduce((t, c) => t + (c as Finding).count, 0);

/** The last line of a run, in the issue's shape (a count that could not be checked is null). */
export function summary(input: {
  faults: FaultRecord[];
  visitors: number;
  purchases: number;
  findings: Findings;
  legacy: { maxConcurrency: number | null; limit: number | null };
}): ChaosSummary {
  const f = input.findings;
  return {
    chaos: {
      faults: input.faults,
      visitors: input.visitors,
      purchases: input.purchases,
      oversold: countOf(f.oversold),
      double_charges: countOf(f.doubleCharges),
      unrefunded: countOf(f.unrefunded),
      stuck_orders: countOf(f.stuckOrders),
      lost_places: countOf(f.lostPlaces),
      // Events committed and never published, and dead letters the store lost.
      lost_events: sum(f.outbox, f.deadLettersLost),
      dead_letters_left: countOf(f.deadLettersLeft),
      errors_5xx_outside_faults: countOf(f.errorsOutside),
      legacy: { max_concurrency: input.legacy.maxConcurrency, limit: input.legacy.limit },
    },
  };
}

const LABELS: Record<keyof Findings, string> = {
  oversold: 'no seat sold twice, sold ≤ capacity',
  doubleCharges: 'one charge per paid order',
  unrefunded: 'a refund for every charge without tickets',
  unpaidTickets: 'no tickets without a charge',
  legacyAgrees: 'seats booked in the legacy system = our tickets',
  stuckOrders: 'no order stuck',
  outbox: 'outbox drained',
  deadLettersLeft: 'dead letters none or all replayed',
  deadLettersLost: 'no dead letter lost',
  lostPlaces: 'every waiting visitor kept its place or was served',
  errorsOutside: '5xx only inside fault windows',
  legacyLimit: 'the legacy limit never exceeded',
};

/** Every invariant that failed (or could not be checked), and every fault the stack did not recover from, in words. */
export function failures(findings: Findings, faults: FaultRecord[], purchases: number): string[] {
  const out: string[] = [];
  for (const fault of faults) {
    if (fault.recovered_ms === null) out.push(`${fault.name}: not recovered${fault.note ? ` (${fault.note})` : ''}`);
    if (fault.dropped)
      out.push(
        `${fault.name}: ${fault.dropped} of ${fault.in_flight} requests sent before the signal failed (a drain drops nothing)`,
      );
    if (fault.restarted?.length)
      out.push(
        `${fault.name}: ${fault.restarted.join(', ')} died meanwhile and ${fault.restarted.length === 1 ? 'was' : 'were'} started again (only the part hurt may: a lost database is an outage, not a crash)`,
      );
  }
  for (const [key, c] of Object.entries(findings) as [keyof Findings, Checked][]) {
    if ('unchecked' in c) out.push(`${LABELS[key]}: not checked (${c.unchecked})`);
    else if (c.count > 0) out.push(`${LABELS[key]}: ${c.details.join('; ') || c.count}`);
  }
  if (purchases === 0) out.push('nobody bought anything: the crowd never reached the invariants that matter');
  return out;
}

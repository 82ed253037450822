/** The steps a visitor takes, each timed and counted on its own. */
export const STEPS = [
  'catalog',
  'join',
  'status',
  'leave',
  'enter',
  'seatmap',
  'hold',
  'pay',
  'order',
  'release',
] as const;
export type Step = (typeof STEPS)[number];

/** Latencies of one step: every sample kept (a run makes at most a few hundred thousand). */
class Latencies {
  private values: number[] = [];
  private sorted = true;
  add(ms: number) {
    this.values.push(ms);
    this.sorted = false;
  }
  get count() {
    return this.values.length;
  }
  percentile(p: number): number | null {
    if (this.values.length === 0) return null;
    if (!this.sorted) {
      this.values.sort((a, b) => a - b);
      this.sorted = true;
    }
    return (
      Math.round(this.values[Math.min(this.values.length - 1, Math.floor((p / 100) * this.values.length))] * 10) / 10
    );
  }
}

export interface Visit {
  /** When the visitor arrived (ms since the run's start). */
  arrivedAt: number;
  show: string;
  place: number | null;
  /** The first estimate the waiting room gave, in seconds, and when (null when admitted at once, or none given). */
  firstEstimateS: number | null;
  estimatedAt: number | null;
  joinedAt: number | null;
  /** When the last answer that still said "wait" was asked for, and when they learnt they were admitted. */
  lastWaitingAt: number | null;
  admittedAt: number | null;
  /** When the admission most likely happened (between the last "wait" and the "admitted" answer). */
  admissionAt: number | null;
  outcome: 'bought' | 'sold_out' | 'gave_up' | 'let_expire' | 'no_seats' | 'error' | 'pending';
  /** Where the visitor is: what an unfinished visit was doing when the run ended. */
  stage: 'arriving' | 'waiting' | 'choosing' | 'paying';
  /** Tickets bought: `${show} ${seat}`. */
  seats: string[];
}

/** One second of the run, as the live view and the report's time series see it. */
export interface Sample {
  t: number;
  arrived: number;
  waiting: number | null;
  inside: number | null;
  capacity: number | null;
  /** The show's seats neither held nor sold (null: not known). */
  seatsFree: number | null;
  /** How long a visit to the zone takes, as the waiting room has measured it (s; null until one ended). */
  visitS: number | null;
  sold: number;
  legacyInFlight: number | null;
  legacyBusyMs: number | null;
  requests: number;
  errors5xx: number;
  timeouts: number;
}

/** Everything the crowd saw: per-step latencies and answers, visits, samples. */
export class Recorder {
  readonly started = Date.now();
  readonly latencies = Object.fromEntries(STEPS.map((s) => [s, new Latencies()])) as Record<Step, Latencies>;
  readonly errors5xx = Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>;
  readonly timeouts = Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>;
  readonly otherErrors = Object.fromEntries(STEPS.map((s) => [s, 0])) as Record<Step, number>;
  readonly soldOut = new Latencies();
  readonly visits: Visit[] = [];
  readonly samples: Sample[] = [];
  requests = 0;
  soldOutAnswers = 0;
  sold = 0;

  now(): number {
    return Date.now() - this.started;
  }

  total(counts: Record<Step, number>): number {
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }
}

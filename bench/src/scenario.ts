import type { Target } from './measure';

/** A benchmark scenario: starts what it measures and names its cases. */
export interface Scenario {
  name: string;
  setup(): Promise<{
    cases: Record<string, Target>;
    /** Figures measured once, after the cases, that are not a rate beside the baseline (added to the report by name). */
    figures?: () => Promise<Record<string, unknown>>;
    teardown(): Promise<void>;
  }>;
}

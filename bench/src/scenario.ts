import type { Target } from './measure';

/** A benchmark scenario: starts what it measures and names its cases. */
export interface Scenario {
  name: string;
  setup(): Promise<{ cases: Record<string, Target>; teardown(): Promise<void> }>;
}

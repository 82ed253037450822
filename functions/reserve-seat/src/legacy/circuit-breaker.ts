/** The circuit is open: the legacy system failed repeatedly; no call is tried until it cools down. */
export class CircuitOpen extends Error {
  constructor(readonly retryInMs: number) {
    super(`the legacy system is failing; the next try in ${Math.ceil(retryInMs / 1000)} s`);
    this.name = 'CircuitOpen';
  }
}

export type CircuitState = 'closed' | 'open' | 'half_open';

/**
 * A per-process circuit breaker: `failures` consecutive failures open it; after `cooldownMs` one
 * trial call goes through (half open); its success closes the circuit, its failure opens it again.
 */
export class CircuitBreaker {
  private state: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trial = false;

  constructor(
    private readonly opts: { failures: number; cooldownMs: number; onChange?: (state: CircuitState) => void },
  ) {}

  get current(): CircuitState {
    return this.state;
  }

  /** Throws CircuitOpen unless a call may go through now. */
  admit(): void {
    if (this.state === 'closed') return;
    const waited = Date.now() - this.openedAt;
    if (this.state === 'open' && waited >= this.opts.cooldownMs) this.set('half_open');
    if (this.state === 'half_open' && !this.trial) {
      this.trial = true;
      return;
    }
    throw new CircuitOpen(Math.max(0, this.opts.cooldownMs - waited));
  }

  succeeded(): void {
    this.failures = 0;
    this.trial = false;
    if (this.state !== 'closed') this.set('closed');
  }

  failed(): void {
    this.trial = false;
    this.failures++;
    if (this.state === 'half_open' || (this.state === 'closed' && this.failures >= this.opts.failures)) {
      this.openedAt = Date.now();
      this.set('open');
    }
  }

  private set(state: CircuitState) {
    this.state = state;
    this.opts.onChange?.(state);
  }
}

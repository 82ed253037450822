import type { Redis } from '@premiere/runtime';
import { DEFAULT_VISIT_MS } from './estimate';
import { roomKeys, VISIT_MEMORY_KEY } from './keys';

// The deployment's memory of how long a visit to a zone takes, outside any show
// (VISIT_MEMORY_KEY): what the visits that ended with an order (paid, given up or run out) took
// (the room's `orderVisitMs`) in the show whose visit last did. Not the show's `visitMs`, which
// also counts the moments of those a sold-out zone lets in and out: a new sale's first zone-full
// are buyers. A line with no visit of its own measured yet (a new sale, a cold line after another
// show's) is estimated from it, unless the operators set ESTIMATE_VISIT_SECONDS; 180 s until a
// visit has ended anywhere. Kept for good: what visits take changes with the pages and the
// people, not the show.

/** A visit to `showId`'s zone ended with an order: what the show's buyers' visits take is now the deployment's. */
export async function rememberVisits(redis: Redis, showId: string): Promise<void> {
  const ms = Number(await redis.hget(roomKeys(showId).room, 'orderVisitMs'));
  if (ms > 0) await redis.set(VISIT_MEMORY_KEY, Math.round(ms));
}

/**
 * A visit's length for a line with none of its own measured: the operators' (`setSeconds`:
 * ESTIMATE_VISIT_SECONDS) when set, as they know their visits; else the deployment's memory, else
 * DEFAULT_VISIT_MS. The memory is read from Redis at most every `refreshMs`, so that the polls of a
 * burst cost no more reads; a failed read keeps what was known.
 */
export class AssumedVisit {
  private known: number | null = null;
  private readAt = -Infinity;
  private reading: Promise<number> | null = null;

  private readonly setMs?: number;

  constructor(
    private readonly redis: Redis,
    setSeconds?: number,
    private readonly refreshMs = 5_000,
  ) {
    if (setSeconds !== undefined) this.setMs = setSeconds * 1000;
  }

  ms(): Promise<number> {
    if (this.setMs !== undefined) return Promise.resolve(this.setMs);
    if (Date.now() - this.readAt < this.refreshMs) return Promise.resolve(this.known ?? DEFAULT_VISIT_MS);
    this.reading ??= this.redis
      .get(VISIT_MEMORY_KEY)
      .then(
        (v) => {
          this.known = Number(v) > 0 ? Number(v) : null;
          this.readAt = Date.now();
        },
        () => undefined,
      )
      .then(() => this.known ?? DEFAULT_VISIT_MS)
      .finally(() => (this.reading = null));
    return this.reading;
  }
}

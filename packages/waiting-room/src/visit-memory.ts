import type { Redis } from '@premiere/runtime';
import { roomKeys, VISIT_MEMORY_KEY } from './keys';

// The deployment's memory of how long a visit to a zone takes, outside any show
// (VISIT_MEMORY_KEY): what visits took (the room's `visitMs`) in the show whose visit last ended
// with an order (paid, given up or run out). A line with no visit of its own measured yet (a new
// sale, a cold line after another show's) is estimated from it; ESTIMATE_VISIT_SECONDS stands in
// only until a visit has ended anywhere. Kept for good: what visits take changes with the pages
// and the people, not the show.

/** A visit to `showId`'s zone ended with an order: what the show's visits take is now the deployment's. */
export async function rememberVisits(redis: Redis, showId: string): Promise<void> {
  const ms = Number(await redis.hget(roomKeys(showId).room, 'visitMs'));
  if (ms > 0) await redis.set(VISIT_MEMORY_KEY, Math.round(ms));
}

/**
 * A visit's length for a line with none of its own measured: the deployment's memory, else
 * `fallbackMs` (ESTIMATE_VISIT_SECONDS). Read from Redis at most every `refreshMs`, so that the
 * polls of a burst cost no more reads; a failed read keeps what was known.
 */
export class AssumedVisit {
  private known: number | null = null;
  private readAt = -Infinity;
  private reading: Promise<number> | null = null;

  constructor(
    private readonly redis: Redis,
    readonly fallbackMs: number,
    private readonly refreshMs = 5_000,
  ) {}

  ms(): Promise<number> {
    if (Date.now() - this.readAt < this.refreshMs) return Promise.resolve(this.known ?? this.fallbackMs);
    this.reading ??= this.redis
      .get(VISIT_MEMORY_KEY)
      .then(
        (v) => {
          this.known = Number(v) > 0 ? Number(v) : null;
          this.readAt = Date.now();
        },
        () => undefined,
      )
      .then(() => this.known ?? this.fallbackMs)
      .finally(() => (this.reading = null));
    return this.reading;
  }
}

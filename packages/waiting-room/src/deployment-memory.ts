import type { Redis } from '@premiere/runtime';
import { DEFAULT_ASSUMED, type Assumed } from './estimate';
import { roomKeys, SEATS_PER_ORDER_MEMORY_KEY, VISIT_MEMORY_KEY } from './keys';

// The deployment's memory, outside any show, of what a line assumes until it has measured its own:
// - how long a visit takes (VISIT_MEMORY_KEY): what the visits that ended with an order (paid,
//   given up or run out) took (the room's `orderVisitMs`) in the show whose visit last did. Not
//   the show's `visitMs`, which also counts the moments of those a sold-out zone lets in and out:
//   a new sale's first zone-full are buyers;
// - how many seats an order takes (SEATS_PER_ORDER_MEMORY_KEY): reserve-seat's last count, in
//   whichever show it counted orders last.
// A new sale, or a cold line after another show's, starts from them, unless the operators set
// ESTIMATE_VISIT_SECONDS / ESTIMATE_SEATS_PER_ORDER; DEFAULT_ASSUMED until the deployment has
// measured any. No expiry (they change with the pages and the people, not the show), but in
// Redis: lost with it, like the rooms.

/** A visit to `showId`'s zone ended with an order: what the show's buyers' visits take is now the deployment's. */
export async function rememberVisits(redis: Redis, showId: string): Promise<void> {
  const ms = Number(await redis.hget(roomKeys(showId).room, 'orderVisitMs'));
  if (ms > 0) await redis.set(VISIT_MEMORY_KEY, Math.round(ms));
}

/** reserve-seat counted the seats a show's orders take on average: the deployment's now. */
export async function rememberSeatsPerOrder(redis: Redis, seatsPerOrder: number): Promise<void> {
  if (seatsPerOrder > 0) await redis.set(SEATS_PER_ORDER_MEMORY_KEY, seatsPerOrder);
}

/**
 * What a line with nothing of its own measured assumes: the operators' figures (`set`: the
 * config's ESTIMATE_VISIT_SECONDS, ESTIMATE_SEATS_PER_ORDER) where they set them, as they know
 * their sales; else the deployment's memory; else DEFAULT_ASSUMED. The memory is read from Redis at
 * most every `refreshMs`, so that the polls of a burst cost no more reads; a failed read keeps
 * what was known.
 */
export class Assumptions {
  private known: Partial<Assumed> = {};
  private readAt = -Infinity;
  private reading: Promise<Assumed> | null = null;
  private readonly set: Partial<Assumed>;

  constructor(
    private readonly redis: Redis,
    set: { ESTIMATE_VISIT_SECONDS?: number; ESTIMATE_SEATS_PER_ORDER?: number } = {},
    private readonly refreshMs = 5_000,
  ) {
    this.set = {
      visitMs: set.ESTIMATE_VISIT_SECONDS === undefined ? undefined : set.ESTIMATE_VISIT_SECONDS * 1000,
      seatsPerOrder: set.ESTIMATE_SEATS_PER_ORDER,
    };
  }

  get(): Promise<Assumed> {
    if (this.set.visitMs !== undefined && this.set.seatsPerOrder !== undefined) return Promise.resolve(this.now());
    if (Date.now() - this.readAt < this.refreshMs) return Promise.resolve(this.now());
    this.reading ??= this.redis
      .mget(VISIT_MEMORY_KEY, SEATS_PER_ORDER_MEMORY_KEY)
      .then(
        ([visitMs, seatsPerOrder]) => {
          this.known = { visitMs: positive(visitMs), seatsPerOrder: positive(seatsPerOrder) };
          this.readAt = Date.now();
        },
        () => undefined,
      )
      .then(() => this.now())
      .finally(() => (this.reading = null));
    return this.reading;
  }

  private now(): Assumed {
    return {
      visitMs: this.set.visitMs ?? this.known.visitMs ?? DEFAULT_ASSUMED.visitMs,
      seatsPerOrder: this.set.seatsPerOrder ?? this.known.seatsPerOrder ?? DEFAULT_ASSUMED.seatsPerOrder,
    };
  }
}

const positive = (v: string | null) => (Number(v) > 0 ? Number(v) : undefined);

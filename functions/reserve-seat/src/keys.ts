import { LEGACY_BULKHEAD_KEY, LEGACY_USAGE_KEY, SHOW_LISTING_KEYS } from '@premiere/contracts';
import { showKey } from '@premiere/runtime';

/**
 * reserve-seat's keys in Redis (docs/redis-keys.md). It also tells a show's waiting room how many
 * seats are left, through the waiting room's own script (@premiere/waiting-room's
 * record-seats-left.lua): the room's keys are not reserve-seat's to write.
 */

/** (string): what the catalog lists for the show's seats (SHOW_LISTING_KEYS.seats); read by render-catalog. */
export const seatAvailabilityKey = (showId: string): string => showKey(showId, SHOW_LISTING_KEYS.seats);

/** The legacy system's seat statuses of a show as last asked, shared by every replica (seat-map.ts). */
export interface LegacySeatsKeys {
  /** (string): JSON {at, seats}, kept a few times the cache's freshness. */
  seats: string;
  /** (string): the lock of the one replica asking the legacy system again. */
  refreshing: string;
}

export function legacySeatsKeys(showId: string): LegacySeatsKeys {
  const seats = showKey(showId, 'legacy-seats');
  return { seats, refreshing: `${seats}:refreshing` };
}

/**
 * The bulkhead in front of the legacy system, for the whole deployment (legacy/bulkhead.ts), all
 * under the bulkhead's hash tag (`{legacy}`). Its usage counters (LEGACY_USAGE_KEY, a hash: busyMs,
 * waitedMs, calls, full, limit) are read by the waiting room's bouncer and the operators' view, so
 * their name, like the bulkhead's, is in @premiere/contracts where those can import it.
 */
export interface BulkheadKeys {
  /** (sorted set): the calls in flight, by the end of their lease. */
  bulkhead: string;
  /** (sorted set): the processes waiting for a slot, by when their mark lapses. */
  waiting: string;
  /** (hash): since when and until when a bulkhead made again gives no slot (lua/lib/epoch.lua). */
  epoch: string;
}

export function bulkheadKeys(bulkhead: string): BulkheadKeys {
  return { bulkhead, waiting: `${bulkhead}:waiting`, epoch: `${bulkhead}:epoch` };
}

/** The deployment's bulkhead and its usage counters. */
export const LEGACY_KEYS = { ...bulkheadKeys(LEGACY_BULKHEAD_KEY), usage: LEGACY_USAGE_KEY };

/** Every key pattern of reserve-seat (<id>: a show), as docs/redis-keys.md lists them (a test checks both ways). */
export function reserveSeatKeyPatterns(): string[] {
  return [seatAvailabilityKey('<id>'), ...Object.values(legacySeatsKeys('<id>')), ...Object.values(LEGACY_KEYS)];
}

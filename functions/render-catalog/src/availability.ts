import { LISTINGS, type ShowListing } from '@premiere/contracts';
import type { Redis } from '@premiere/runtime';
import { showListingKeys } from './keys';

/** What a show's listing says: the small fact that changes while the page stays the same (best first). */
export const AVAILABILITY = LISTINGS;
export type Availability = ShowListing;

/**
 * A show's availability is written by the functions that know, each to its own key
 * (showListingKeys), before they send premiere.show.availability.changed: the waiting room's
 * tokens, reserve-seat's seats. render-catalog only reads them, at render time, and lists the
 * worse of the two. So a lost event delays a page's refresh by at most its TTL, and events
 * arriving out of order cannot undo a newer value.
 */

const worse = (a: Availability, b: Availability) => (AVAILABILITY.indexOf(a) >= AVAILABILITY.indexOf(b) ? a : b);

/** Each show's availability (default: available). */
export async function readAvailability(redis: Redis, showIds: string[]): Promise<Map<string, Availability>> {
  if (showIds.length === 0) return new Map();
  // Both keys of every show in one pipeline: each show's keys live in their own slot.
  const pipeline = redis.pipeline();
  for (const id of showIds) {
    const keys = showListingKeys(id);
    pipeline.mget(keys.tokens, keys.seats);
  }
  const results = (await pipeline.exec()) ?? [];
  return new Map(
    showIds.map((id, i) => {
      const [tokens, seats] = (results[i]?.[1] as (Availability | null)[] | undefined) ?? [];
      return [id, worse(tokens ?? 'available', seats ?? 'available')];
    }),
  );
}

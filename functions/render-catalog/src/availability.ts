import { showKey, type Redis } from '@premiere/runtime';

/** What a show's listing says: the small fact that changes while the page stays the same. */
export const AVAILABILITY = ['available', 'few_left', 'sold_out'] as const;
export type Availability = (typeof AVAILABILITY)[number];

/**
 * `{show:<id>}:availability` holds a show's availability. The functions that know write it (the
 * waiting room when tokens run out, reserve-seat as seats go) and then send
 * premiere.show.availability.changed; render-catalog only reads it, at render time. So a lost event
 * delays a page's refresh by at most its TTL, and events arriving out of order cannot undo a newer
 * value.
 */
export const availabilityKey = (showId: string) => showKey(showId, 'availability');

/** Each show's availability (default: available). */
export async function readAvailability(redis: Redis, showIds: string[]): Promise<Map<string, Availability>> {
  if (showIds.length === 0) return new Map();
  // One GET per show in one pipeline: each show's keys live in their own slot.
  const pipeline = redis.pipeline();
  for (const id of showIds) pipeline.get(availabilityKey(id));
  const results = (await pipeline.exec()) ?? [];
  return new Map(showIds.map((id, i) => [id, ((results[i]?.[1] as Availability | null) ?? 'available')]));
}

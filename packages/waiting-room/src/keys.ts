import { showKey } from '@premiere/runtime';

/**
 * A show's waiting room in Redis, every key under the show's hash tag (one Redis Cluster slot):
 *
 * - `room` (hash): the catalog facts (title, cinema, seats, start), the settings an operator can
 *   change live (quota, overbooking, capacity, paused, draining, `addressCap`), the counters
 *   (`issued`: tokens ever given, which numbers the visitors; `returned`: those given back, so the
 *   live tokens are issued − returned; last place given, admitted) and how long visits take
 *   (`visitMs`, measured);
 * - `sessions` (hash): session hash → visitor number (the same session always gets the same token);
 * - `queue` (sorted set): waiting visitors by place; `prequeue`: visitors who came before sales
 *   opened, by a secret random draw;
 * - `inside` (sorted set): visitors in the protected zone, by the end of their slot's lease;
 * - `visitor:<n>` (hash): one visitor's session hash, address, place, state and times, and what
 *   became of their token (`returned`: given back to the quota; `seated`: it became seats);
 * - `availability` (string): what the catalog lists (see docs/events.md);
 * - `admissions` (hash): admissions per minute, for the operators' view;
 * - `holes` (sorted set): the places of visitors who left the line while waiting, behind its head,
 *   so that the people ahead of a place can be counted from the head without asking Redis for
 *   every poll (see snapshot.ts);
 * - `addresses` (hash): client address → the live tokens issued to it (the per-address cap);
 * - `<room>:rate:address:<ip>`, `<room>:rate:session:<hash>`: the joins' rate-limit counters;
 *   `<room>:rate:new:<ip>`: the new tokens an address took in the window.
 *
 * Every Lua script gets all ten keys in this order.
 */
export function roomKeys(showId: string): string[] {
  return ['room', 'sessions', 'queue', 'prequeue', 'inside', 'visitor:', 'availability', 'admissions', 'holes', 'addresses'].map((part) => showKey(showId, part));
}

/** The shows with a waiting room, for the bouncer's safety-net pass and the operators' view. */
export const ROOMS_KEY = 'waiting-room:shows';

/**
 * A show's listing in Redis, as the catalog reads it: two keys under the show's hash tag
 * (`showKey(showId, SHOW_LISTING_KEYS.tokens)`, @premiere/runtime), each written by the one
 * function that knows (docs/redis-keys.md), before it announces premiere.show.availability.changed:
 * the waiting room's tokens (@premiere/waiting-room's scripts) and reserve-seat's seats.
 * render-catalog only reads them and lists the worse of the two. Each holds one of LISTINGS.
 */
export const SHOW_LISTING_KEYS = {
  /** Written by the waiting room's scripts (lib/listing.lua). */
  tokens: 'availability',
  /** Written by reserve-seat when it counts the show's seats. */
  seats: 'seat-availability',
} as const;

import { SHOW_LISTING_KEYS } from '@premiere/contracts';
import { showKey } from '@premiere/runtime';

/**
 * render-catalog's keys in Redis (docs/redis-keys.md): its page cache, under the hash tag
 * `{catalog}`. It reads a show's listing too, from the keys its writers keep (SHOW_LISTING_KEYS).
 */
export const CATALOG_KEYS = {
  /** (hash): version name (catalog, movie:<id>, cinema:<id>) → a counter each change bumps. */
  versions: '{catalog}:versions',
  /** (string): a rendered page (JSON), kept its TTL plus its stale time. */
  page: (key: string) => `{catalog}:page:${key}`,
  /** (string): the render lock of a page (a random token), kept at most a few seconds. */
  lock: (key: string) => `{catalog}:lock:${key}`,
};

/** A show's listing as its two writers keep it: the waiting room's tokens and reserve-seat's seats. */
export function showListingKeys(showId: string): { tokens: string; seats: string } {
  return { tokens: showKey(showId, SHOW_LISTING_KEYS.tokens), seats: showKey(showId, SHOW_LISTING_KEYS.seats) };
}

/** Every key pattern of render-catalog (<key>: a page's cache key), as docs/redis-keys.md lists them (a test checks both ways). */
export function catalogKeyPatterns(): string[] {
  return [CATALOG_KEYS.versions, CATALOG_KEYS.page('<key>'), CATALOG_KEYS.lock('<key>')];
}

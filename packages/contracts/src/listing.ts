/**
 * When a show is listed "few left": a tenth of what it had to sell (at least one) or fewer left.
 * The waiting room's scripts apply the same rule (packages/waiting-room/lua/lib/listing.lua).
 */
export function fewLeftAt(total: number): number {
  return Math.max(1, Math.floor(total / 10));
}

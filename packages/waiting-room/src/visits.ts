import type { Redis } from '@premiere/runtime';

/**
 * The deployment's memory of how long visits to a zone take (a hash: `visitMs`, a moving average
 * over every show's visits, and `visits`, how many), outside any show's slot: a show's line whose
 * own visits have not been measured yet (a new sale, a cold line) is estimated from it, and from
 * ESTIMATE_VISIT_SECONDS only until a visit has ended anywhere. Kept for good: what visits take
 * changes with the pages and the people, not with the shows.
 */
export const VISITS_KEY = '{waiting-room}:visits';

/** A visit of `ms` ended (finish.lua, leave.lua gave its length): into the deployment's memory. */
export async function rememberVisit(redis: Redis, ms: number): Promise<void> {
  if (ms > 0) await (redis as unknown as { rememberVisit(key: string, ms: number): Promise<number> }).rememberVisit(VISITS_KEY, Math.round(ms));
}

/** A visit's length for a line whose own visits are not measured yet: the deployment's, else `assumedVisitMs` (ESTIMATE_VISIT_SECONDS). */
export async function assumedVisitOf(redis: Redis, assumedVisitMs: number): Promise<number> {
  const remembered = Number(await redis.hget(VISITS_KEY, 'visitMs'));
  return remembered > 0 ? remembered : assumedVisitMs;
}

/**
 * The wait a visitor is shown, from the measured admission pace (ms per admission, a moving
 * average kept by the bouncer); until it is measured, from the assumed length of a visit shared by
 * the zone's slots.
 */
export function estimateWaitMs(ahead: number, paceMs: number, capacity: number, assumedVisitMs: number): number {
  const pace = paceMs > 0 ? paceMs : assumedVisitMs / Math.max(1, capacity);
  return Math.round((ahead + 1) * pace);
}

/** The estimate in words, never more precise than it is. */
export function describeWait(ms: number): string {
  const minutes = ms / 60_000;
  if (minutes < 1) return 'less than a minute';
  if (minutes < 1.5) return 'about a minute';
  if (minutes < 90) return `about ${Math.round(minutes)} minutes`;
  const hours = Math.round(minutes / 60);
  return hours === 1 ? 'about an hour' : `about ${hours} hours`;
}

/**
 * When a waiting visitor should poll again: a fraction of their estimated wait, so the interval
 * grows with the distance to the front (the total poll rate grows only with the log of the line
 * plus line/max), between 1 s and `maxMs`, with ±10% jitter so clients do not move in lockstep.
 */
export function nextPollMs(estimateMs: number, maxMs: number, random = Math.random): number {
  const base = Math.min(maxMs, Math.max(1_000, estimateMs * 0.3));
  return Math.round(Math.max(1_000, Math.min(maxMs, base * (0.9 + 0.2 * random()))));
}

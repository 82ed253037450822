/** The line's pace (ms per admission): a visit's measured length shared by the zone's slots; 0 until one ended. */
export function paceOf(visitMs: unknown, capacity: number): number {
  const visit = Number(visitMs);
  return visitMs === '' || visitMs === undefined || !(visit > 0) ? 0 : Math.floor(visit / Math.max(1, capacity));
}

/**
 * How many more buyers the seats left can serve, at the seats an order takes on average (as
 * reserve-seat last counted them; until then all the show's seats, at ESTIMATE_SEATS_PER_ORDER).
 * null when the room says nothing.
 */
export function buyersLeftOf(seatsFree: unknown, seatsPerOrder: unknown): number | null {
  if (seatsFree === '' || seatsFree === undefined || seatsFree === null) return null;
  return Math.ceil(Number(seatsFree) / Math.max(1, Number(seatsPerOrder) || 1));
}

/**
 * The wait a visitor is shown, from the line's pace (ms per admission): the measured length of a
 * visit (a moving average over visits that ended) shared by the zone's slots; until a visit has
 * ended, the assumed length of a visit. The inventory counts too: of the people ahead, only as
 * many as the seats left can serve (at the seats an order takes on average) are counted.
 */
export function estimateWaitMs(ahead: number, paceMs: number, capacity: number, assumedVisitMs: number, buyersLeft: number | null = null): number {
  const pace = paceMs > 0 ? paceMs : assumedVisitMs / Math.max(1, capacity);
  // Only those ahead who can still buy take a visit's time: once the seats left are taken, the
  // rest are through in moments (and, once every seat is sold, told so).
  const delaying = buyersLeft === null ? ahead : Math.min(ahead, buyersLeft);
  return Math.round((delaying + 1) * pace);
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

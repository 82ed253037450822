/** What a line assumes until it has measured its own (deployment-memory.ts: the operators', else the deployment's). */
export interface Assumed {
  /** How long a visit to the zone takes (ms). */
  visitMs: number;
  /** How many seats an order takes. */
  seatsPerOrder: number;
}

/** What a line assumes when neither it, the deployment nor its operators say otherwise. */
export const DEFAULT_ASSUMED: Assumed = { visitMs: 180_000, seatsPerOrder: 2 };

/** The line's pace (ms per admission): a visit's measured length shared by the zone's slots; 0 until one ended. */
export function paceOf(visitMs: unknown, capacity: number): number {
  const visit = Number(visitMs);
  return visitMs === '' || visitMs === undefined || !(visit > 0) ? 0 : Math.floor(visit / Math.max(1, capacity));
}

/**
 * How many more buyers the seats left can serve (until reserve-seat counted them, all the show's
 * seats), at the seats an order takes on average: as reserve-seat last counted them in this show,
 * else as assumed. null when the room says nothing.
 */
export function buyersLeftOf(seatsFree: unknown, seatsPerOrder: number | null, assumed: Assumed): number | null {
  if (seatsFree === '' || seatsFree === undefined || seatsFree === null) return null;
  return Math.ceil(Number(seatsFree) / Math.max(1, seatsPerOrder ?? assumed.seatsPerOrder));
}

/** A visit in the protected zone: when its visitor was admitted, and when its slot's lease ends (ms). */
export interface ZoneVisit {
  admittedAt: number;
  lease: number;
}

/**
 * What the wait of every place in a show's line follows from, worked out once per snapshot of the
 * line for all its polls: when each of the zone's slots frees next, and how long a visit takes.
 */
export interface WaitBasis {
  /** When (ms) it was worked out. */
  at: number;
  /** ms from `at` until each slot of the zone frees next, ascending: one per slot (the capacity). */
  slots: number[];
  /** How long a visit takes (ms): the measured one, or longer when the visits inside show it. */
  visitMs: number;
  /** How long a visit that ended in leaving the zone takes (ms; 0 until one did): mostly people who found no seat. */
  quickVisitMs: number;
  paused: boolean;
}

/**
 * A visit that has run past its expected length is expected to go on a while yet: as long again as
 * it has overrun (visits that run long tend to run longer: the buyer is still choosing, or paying),
 * and at least a tenth of a visit (at least a second). So an estimate grows while nobody moves,
 * instead of saying "any moment" for minutes; a slot's lease bounds the overrun (the bouncer takes
 * the slot back then).
 */
const OVERDUE_GROWTH = 1;
const overdueFloor = (visitMs: number) => Math.max(1_000, visitMs / 10);

/** How long a visit inside has left (ms), expected. */
function remainingMs(v: ZoneVisit, visitMs: number, now: number): number {
  if (v.lease <= now) return 0; // lapsed: its slot goes to the next at the bouncer's next pass
  const elapsed = Math.max(0, now - v.admittedAt);
  // The lease bounds only an overrun: an admission's first lease is short, and extended when the
  // visitor enters seat selection, as nearly all do.
  return Math.max(
    visitMs - elapsed,
    Math.min(v.lease - now, overdueFloor(visitMs) + OVERDUE_GROWTH * (elapsed - visitMs)),
  );
}

/**
 * The wait's basis from the zone as it is: each slot frees when its visit ends (expected from the
 * visit's length: the measured one, a moving average over visits that ended, else the assumed
 * one), a free slot now; slots above a lowered capacity free nobody; then every slot takes a new
 * visitor a visit later. Visits are taken to last as long as the median visit inside shows it
 * will, if that is longer than measured (the measure lags when visits get slower).
 */
export function waitBasis(o: {
  zone: ZoneVisit[];
  capacity: number;
  measuredVisitMs: number;
  assumedVisitMs: number;
  leftVisitMs?: number;
  paused: boolean;
  now: number;
}): WaitBasis {
  const capacity = Math.max(1, o.capacity);
  const expected = o.measuredVisitMs > 0 ? o.measuredVisitMs : o.assumedVisitMs;
  const left = o.zone.map((v) => remainingMs(v, expected, o.now));
  let visitMs = expected;
  if (left.length > 0) {
    const totals = o.zone.map((v, i) => Math.max(0, o.now - v.admittedAt) + left[i]).sort((a, b) => a - b);
    visitMs = Math.max(expected, totals[Math.floor(totals.length / 2)]);
  }
  left.sort((a, b) => a - b);
  const slots =
    left.length < capacity
      ? [...new Array<number>(capacity - left.length).fill(0), ...left]
      : left.slice(left.length - capacity);
  // A slot that frees after the first has gone round once more frees nobody sooner than that: so
  // that someone further back is never told a shorter wait.
  for (let i = 0; i < slots.length; i++) slots[i] = Math.round(Math.min(slots[i], slots[0] + visitMs));
  return {
    at: o.now,
    slots,
    visitMs: Math.round(visitMs),
    quickVisitMs: Math.max(0, Math.round(o.leftVisitMs ?? 0)),
    paused: o.paused,
  };
}

export type WaitEstimate =
  /** Admissions are paused: no wait can be told until they resume. */
  { state: 'paused'; nearFront: boolean } | { state: 'estimated'; ms: number; nearFront: boolean };

/**
 * The wait of a visitor with `ahead` people ahead, at `now`: the time until the slot that takes
 * them frees. Of the people ahead, only as many as the seats left can serve (`buyersLeft`, at the
 * seats an order takes on average) take a visit's time: the rest find no seat and leave, each
 * holding a slot as long as a visit that ended in leaving takes (through in moments until one
 * has; once every seat is sold, they are told so). `nearFront`: within a zone-full of the front,
 * where a slot freeing may let them in at any moment.
 */
export function estimateWait(basis: WaitBasis, ahead: number, buyersLeft: number | null, now: number): WaitEstimate {
  const capacity = basis.slots.length;
  const nearFront = ahead < capacity;
  if (basis.paused) return { state: 'paused', nearFront };
  const delaying = buyersLeft === null ? ahead : Math.max(0, Math.min(ahead, buyersLeft));
  const gone = Math.max(0, now - basis.at);
  const quick = buyersLeft === null ? 0 : ((ahead - delaying) * basis.quickVisitMs) / capacity;
  const ms =
    Math.max(0, basis.slots[delaying % capacity] - gone) + Math.floor(delaying / capacity) * basis.visitMs + quick;
  return { state: 'estimated', ms: Math.round(ms), nearFront };
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

/** How often a visitor near the front polls: they learn of their admission within this. */
export const NEAR_FRONT_POLL_MS = 1_800;
/** How often a visitor further back polls while admissions are paused: they see the estimate again soon after. */
const PAUSED_POLL_MS = 10_000;

/**
 * When a waiting visitor should poll again. Near the front (a slot freeing may let them in at any
 * moment), within NEAR_FRONT_POLL_MS, so an admission is learnt at once, not a third of the
 * admission's time later. Further back, a fraction of their estimated wait, so the interval grows
 * with the distance to the front (the total poll rate grows only with the log of the line plus
 * line/max), between 1 s and `maxMs`; while paused, every PAUSED_POLL_MS at most. ±10% jitter
 * so clients do not move in lockstep.
 */
export function nextPollMs(estimate: WaitEstimate, maxMs: number, random = Math.random): number {
  const jitter = 0.9 + 0.2 * random();
  if (estimate.nearFront) return Math.round(Math.min(maxMs, NEAR_FRONT_POLL_MS * jitter));
  const base = estimate.state === 'paused' ? PAUSED_POLL_MS : Math.max(1_000, estimate.ms * 0.3);
  return Math.round(Math.max(1_000, Math.min(maxMs, Math.min(maxMs, base) * jitter)));
}

import { BoundedMap, type Redis } from '@premiere/runtime';
import {
  buyersLeftOf,
  DEFAULT_ASSUMED,
  paceOf,
  waitBasis,
  type Assumed,
  type WaitBasis,
  type ZoneVisit,
} from './estimate';
import { RoomScripts } from './scripts';
import type { VisitorStatus } from './queue';

/** The most gaps in the line a snapshot carries; beyond, polls ask Redis one by one. */
const MAX_GAPS = 2_000;

interface Snapshot {
  at: number;
  now: number;
  capacity: number;
  paused: boolean;
  salesOpenAt: number;
  salesOpened: boolean;
  paceMs: number;
  seatsSoldOut: boolean;
  buyersLeft: number | null;
  availability: string;
  lastPlace: number;
  headPlace: number | null;
  waiting: number;
  preQueue: number;
  /** Visitor number → the end of their slot's lease (ms). */
  inside: Map<number, number>;
  earliestLease: number | null;
  /** Places of visitors who left the line behind its head, ascending. */
  gaps: number[];
  gapsTruncated: boolean;
  /** Visitors who polled and whom the room does not know (Redis forgot them): only Redis can put them back. */
  unknown: Set<number>;
  /** When each slot of the zone frees, for every estimate this snapshot answers. */
  basis: WaitBasis;
  /** Places near the head of visitors who stopped polling (the bouncer passes them over), ascending. */
  stale: number[];
}

/** How the snapshots estimate waits and tell who stopped polling (the waiting room's settings). */
export interface SnapshotSettings {
  /** What a line assumes until it has measured its own (Assumptions: the operators', else the deployment's). */
  assumptions: { get(): Promise<Assumed> };
  /** A waiting visitor unseen for longer is passed over by the bouncer (GONE_AFTER_SECONDS). */
  goneAfterMs: number;
}

/** How many of `sorted` are below `value`. */
function countBelow(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Status polls answered from memory: each process keeps, per show, a snapshot of the line (its
 * head, the gaps left by people who gave up, who is in the zone, the pace) refreshed by one Redis
 * script at most every `maxAgeMs` for all its pollers, which also records who polled (the
 * bouncer passes over visitors who stopped). A waiting visitor's people ahead are their place
 * minus the head's, minus the gaps between: the same count as the line's rank, at most `maxAgeMs`
 * old. What a snapshot cannot tell (a visitor who left or finished, a place not yet in it, a
 * pre-queue place) is left to the caller to ask Redis.
 */
export class ShowSnapshots {
  private readonly shows = new BoundedMap<
    string,
    { snapshot?: Snapshot; refreshing?: Promise<Snapshot>; seen: Map<number, string> }
  >(10_000);

  constructor(
    private readonly redis: Redis,
    private readonly maxAgeMs: number,
    private readonly settings: SnapshotSettings = {
      assumptions: { get: async () => DEFAULT_ASSUMED },
      goneAfterMs: 90_000,
    },
  ) {}

  /**
   * The visitor's status from the show's snapshot, or null when only Redis can tell. Answered at
   * once (no promise) while the snapshot is fresh, which is nearly every poll.
   */
  status(
    showId: string,
    visitor: number,
    place: number | null,
    sessionHash: string,
  ): VisitorStatus | null | Promise<VisitorStatus | null> {
    const show = this.showOf(showId);
    show.seen.set(visitor, sessionHash);
    const s = this.fresh(showId, show);
    return s instanceof Promise
      ? s.then((snapshot) => statusFrom(snapshot, visitor, place))
      : statusFrom(s, visitor, place);
  }

  /**
   * What the show's snapshot says of the line as a whole, for a visitor who has just joined (their
   * place is newer than the snapshot): the wait's basis, the pause, the zone, who stopped polling.
   */
  async line(
    showId: string,
  ): Promise<Pick<VisitorStatus, 'basis' | 'paused' | 'inside' | 'earliestLease'> & { stale: number[] }> {
    const s = await this.fresh(showId, this.showOf(showId));
    return { basis: s.basis, paused: s.paused, inside: s.inside.size, earliestLease: s.earliestLease, stale: s.stale };
  }

  private showOf(showId: string) {
    let show = this.shows.get(showId);
    if (!show) {
      this.shows.set(showId, (show = { seen: new Map() }));
    }
    return show;
  }

  private fresh(
    showId: string,
    show: { snapshot?: Snapshot; refreshing?: Promise<Snapshot>; seen: Map<number, string> },
  ): Snapshot | Promise<Snapshot> {
    if (show.snapshot && Date.now() - show.snapshot.at < this.maxAgeMs) return show.snapshot;
    if (!show.refreshing) {
      const seen = [...show.seen].flat();
      show.seen.clear();
      show.refreshing = this.read(showId, seen).then(
        (snapshot) => {
          show.snapshot = snapshot;
          show.refreshing = undefined;
          return snapshot;
        },
        (err) => {
          for (let i = 0; i < seen.length; i += 2) show.seen.set(seen[i] as number, seen[i + 1] as string);
          show.refreshing = undefined;
          throw err;
        },
      );
    }
    return show.refreshing;
  }

  private async read(showId: string, seen: (number | string)[]): Promise<Snapshot> {
    const at = Date.now();
    const [r, assumed] = await Promise.all([
      RoomScripts.forShow(this.redis, showId).snapshot(MAX_GAPS, this.settings.goneAfterMs, seen),
      this.settings.assumptions.get(),
    ]);
    const inside = new Map<number, number>();
    const zone: ZoneVisit[] = [];
    let earliestLease: number | null = null;
    for (const v of r.inside) {
      inside.set(v.visitor, v.lease);
      zone.push({ admittedAt: v.admittedAt, lease: v.lease });
      if (earliestLease === null || v.lease < earliestLease) earliestLease = v.lease;
    }
    const paused = r.paused || r.recovering;
    return {
      at,
      now: r.now,
      capacity: r.capacity,
      paused,
      salesOpenAt: r.salesOpenAt,
      salesOpened: r.salesOpened,
      paceMs: paceOf(r.visitMs, r.capacity),
      seatsSoldOut: r.seatsSoldOut,
      availability: r.availability,
      lastPlace: r.lastPlace,
      headPlace: r.headPlace,
      waiting: r.waiting,
      preQueue: r.preQueue,
      inside,
      earliestLease,
      gaps: r.gaps,
      gapsTruncated: r.gapsTruncated,
      buyersLeft: buyersLeftOf(r.seatsFree, r.seatsPerOrder, assumed),
      unknown: new Set(r.unknown),
      basis: waitBasis({
        zone,
        capacity: r.capacity,
        measuredVisitMs: r.visitMs ?? 0,
        assumedVisitMs: assumed.visitMs,
        leftVisitMs: r.leftVisitMs,
        paused,
        now: r.now,
      }),
      stale: r.stale,
    };
  }
}

/** What the snapshot says of one visitor, or null when only Redis can tell. */
function statusFrom(s: Snapshot, visitor: number, place: number | null): VisitorStatus | null {
  // No room (expired, or not made yet), or a visitor the room does not know (Redis forgot them):
  // only Redis can tell, and put them back. While a rebuilt room recovers, the others are answered
  // from here as every other poll is, admissions held.
  if (s.capacity === 0 || s.unknown.has(visitor)) return null;
  const now = s.now + (Date.now() - s.at);
  const status = (
    state: VisitorStatus['state'],
    ahead: number,
    deadline: number | null,
    stopped = 0,
  ): VisitorStatus => ({
    state,
    place,
    ahead,
    deadline,
    waiting: s.waiting,
    preQueue: s.preQueue,
    paceMs: s.paceMs,
    capacity: s.capacity,
    inside: s.inside.size,
    availability: s.availability,
    salesOpenAt: s.salesOpenAt,
    salesOpened: s.salesOpened,
    paused: s.paused,
    earliestLease: s.earliestLease,
    seatsSoldOut: s.seatsSoldOut,
    buyersLeft: s.buyersLeft,
    now,
    basis: s.basis,
    stoppedAhead: stopped,
  });
  const lease = s.inside.get(visitor);
  if (lease !== undefined) return status(lease > now ? 'admitted' : 'expired', -1, lease);
  if (place === null) {
    // In the pre-queue until sales open; then only Redis knows the place drawn.
    return !s.salesOpened && s.salesOpenAt > now ? status('pre', -1, null) : null;
  }
  if (s.gapsTruncated || s.headPlace === null || place < s.headPlace || place > s.lastPlace) return null;
  const gapsAhead = countBelow(s.gaps, place);
  if (s.gaps[gapsAhead] === place) return null; // they left
  return status('waiting', place - s.headPlace - gapsAhead, null, countBelow(s.stale, place));
}

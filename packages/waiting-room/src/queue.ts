import { randomInt } from 'node:crypto';
import { BoundedMap, type Redis } from '@premiere/runtime';
import { LEGACY_USAGE_KEY } from '@premiere/contracts';
import { buyersLeftOf, DEFAULT_ASSUMED, paceOf, waitBasis, type Assumed, type WaitBasis } from './estimate';
import { roomKeys, visitorKey } from './keys';
import { RoomScripts } from './scripts';
import type { ReturnedToken, TokenLedger } from './ledger';
import { rememberVisits } from './deployment-memory';

/** What the catalog lists for a show's tokens (see lua/lib/listing.lua). */
export type Listing = 'available' | 'few_left' | 'sold_out';

export type JoinOutcome =
  | {
      outcome: 'new' | 'existing';
      visitor: number;
      place: number | null;
      state: VisitorState;
      joinedAt: number;
      showStartsAt: number;
      /** When sales open (ms; 0: on sale from the start). */
      salesOpenAt: number;
      /** How many more buyers the seats left can serve (null: not counted yet). */
      buyersLeft: number | null;
      /** The availability this join made the show cross into, if any (exactly one join sees it). */
      crossed: '' | Listing;
      /** People ahead (waiting: in line; pre: in the pre-queue so far). */
      ahead: number;
      paceMs: number;
      capacity: number;
    }
  | { outcome: 'no_room' | 'drained' | 'started' }
  /** A room rebuilt after Redis forgot it may have no token left; known once its visitors are back. */
  | { outcome: 'recovering'; retryAfterMs: number }
  | { outcome: 'sold_out'; reclaimable: Reclaimable }
  | { outcome: 'rate_limited'; scope: JoinLimit; retryAfterMs: number | null; limit: number; reclaimable: Reclaimable };

/**
 * What a join refused as sold out or by its address's share saw that the bouncer's next pass would
 * give back: `lapsed` (a zone slot's lease ran out), `gone` (the head of the line went unseen for
 * longer than a waiting visitor may, while the zone has room), '' (nothing, or nothing it can see:
 * gone visitors deeper in the line give their tokens back when they reach the head). The caller
 * sends the bouncer looking, or the tokens wait for the next event, poll or sweep.
 */
export type Reclaimable = '' | 'lapsed' | 'gone';

/**
 * Which limit refused a join: joins per address or per session in a window, the live tokens one
 * address may hold (`address_tokens`: no wait is known, it frees as they come back), new tokens
 * per address in a window.
 */
export type JoinLimit = 'address' | 'session' | 'address_tokens' | 'address_new_tokens';

/** What one client may take of a show's waiting room (0: no limit). */
export interface JoinLimits {
  /** Joins per client address and per session in a window, per show (re-joins of a session too). */
  perAddress: number;
  perSession: number;
  windowMs: number;
  /** New tokens one address may take per window, per show. */
  newTokensPerAddress: number;
  /**
   * The most live tokens of a show one address may hold: max(min, ⌊share × quota⌋), at least 1;
   * both 0: no cap. An operator's cap for the show (the room's `addressCap`) wins.
   */
  addressTokenCap: { min: number; share: number };
}

/**
 * pre: in the pre-queue (sales not open); waiting: in line; admitted: may enter the zone until the
 * deadline; inside: in the zone; done: finished there; expired: the admission went unused;
 * left: gave up (or stopped polling); gone: left the zone without a word (lease ran out).
 */
export type VisitorState = 'pre' | 'waiting' | 'admitted' | 'inside' | 'done' | 'expired' | 'left' | 'gone';

export interface VisitorStatus {
  /** unknown: the room does not know the visitor (Redis forgot them); no_room: nor the show. */
  state: VisitorState | 'unknown' | 'no_room';
  place: number | null;
  /** People ahead in line (waiting only). */
  ahead: number;
  waiting: number;
  preQueue: number;
  paceMs: number;
  capacity: number;
  inside: number;
  /** Admitted: until when the admission may be used (ms). */
  deadline: number | null;
  availability: string;
  salesOpenAt: number;
  salesOpened: boolean;
  paused: boolean;
  /** The earliest lease in the zone (ms), null if nobody is inside. */
  earliestLease: number | null;
  seatsSoldOut: boolean;
  /** How many more buyers the seats left can serve (null: not counted yet). */
  buyersLeft: number | null;
  now: number;
  /** When the zone's slots free, for the wait estimate (waitBasis). */
  basis: WaitBasis;
  /** Of the people ahead, those who stopped polling (the bouncer passes them over): not counted in the wait. */
  stoppedAhead: number;
}

export interface Admission {
  admitted: number;
  firstPlace: number | null;
  lastPlace: number | null;
  reclaimed: number;
  passedOver: number;
  inside: number;
  waiting: number;
  /** When the earliest reclaimed slot fell free (ms), null if none was reclaimed. */
  reclaimedSince: number | null;
  now: number;
  /** Tokens given back to the quota in this pass: of the reclaimed, of the passed over, of nobody come back after a rebuild. */
  returned: { lapsed: number; passedOver: number; unclaimed: number };
  /** The listing this pass changed the show to ('' if none): announce it. */
  availability: '' | Listing;
  /** The tokens given back one by one in this pass: to record durably (recordReturned). */
  given: ReturnedToken[];
}

/** A visit to the zone ended (finish). */
export interface VisitEnd {
  /** Whether this freed a slot in the zone (false: a redelivery, or they were not inside). */
  freed: boolean;
  /** The token: 1 given back to the quota now, -1 taken back as seats now, 0 unchanged. */
  token: -1 | 0 | 1;
  /** The listing this changed the show to ('' if none): announce it. */
  availability: '' | Listing;
}

/** How the zone is sized to keep the legacy system busy (see adapt-capacity.lua). */
export interface ZoneSizing {
  /** Looked at most this often per show. */
  intervalMs: number;
  maxCapacity: number;
  /** Grow the zone while the legacy system is busy less than this (0-1) and people wait. */
  targetUtilisation: number;
  /** Shrink it when buyers wait longer than this for a legacy slot, on average. */
  waitHighMs: number;
}

export interface Resized {
  capacity: number;
  change: 'up' | 'down' | '';
  /** The legacy system's utilisation and mean slot wait since the last look (null: not looked now). */
  utilisation: number | null;
  meanWaitMs: number | null;
}

/** An admitted visitor as their access token tells: enough to put them back if Redis forgot them. */
export interface AdmittedAs {
  session: string;
  place: number | null;
  /** The access token's expiry: the admission's deadline (ms). */
  deadlineMs: number;
  joinedAtMs: number;
}

/** The queue operations of one show's waiting room; each is one atomic Lua script (scripts.ts). */
export class ShowQueue {
  private readonly scripts: RoomScripts;

  constructor(
    private readonly redis: Redis,
    readonly showId: string,
  ) {
    this.scripts = new RoomScripts(redis, roomKeys(showId));
  }

  private static readonly cache = new BoundedMap<string, ShowQueue>(10_000);

  /** The queue of a show, made once per process and show (status polls are many). */
  static of(redis: Redis, showId: string): ShowQueue {
    let queue = ShowQueue.cache.get(showId);
    if (!queue || queue.redis !== redis) {
      ShowQueue.cache.set(showId, (queue = new ShowQueue(redis, showId)));
    }
    return queue;
  }

  /**
   * Joins `session` (its hash) from `address`; a session that already has a token gets the same
   * one back. Rate limits are counted in the same atomic step. `goneAfterMs`: how long a waiting
   * visitor may go unseen (the bouncer's), for a refusal's `reclaimable`. `assumed`: what the line
   * assumes until it has measured its own (Assumptions), for the buyers the seats left can serve.
   */
  async join(
    sessionHash: string,
    address: string,
    admissionTtlMs: number,
    goneAfterMs: number,
    limits: JoinLimits,
    ledger: TokenLedger,
    assumed: Assumed = DEFAULT_ASSUMED,
  ): Promise<JoinOutcome> {
    const args = {
      sessionHash,
      // The pre-queue's draw: secret, uniform, fixed now (only used if sales are not open yet).
      draw: randomInt(1, 2 ** 47) / 2 ** 47,
      admissionTtlMs,
      address,
      perAddress: limits.perAddress,
      perSession: limits.perSession,
      windowMs: limits.windowMs,
      addressTokenCapMin: limits.addressTokenCap.min,
      addressTokenCapShare: limits.addressTokenCap.share,
      newTokensPerAddress: limits.newTokensPerAddress,
      goneAfterMs,
      again: false,
    };
    let r = await this.scripts.join(args);
    // What the script needs done first, then it runs again: sales opened (the pre-queue's places
    // drawn), or visitor numbers reserved in the durable ledger (ledger.ts: a join that finds none
    // left waits for a block; one that leaves few reserves the next without waiting).
    for (let tries = 0; r.outcome === 'must_open' || r.outcome === 'must_reserve'; tries++) {
      if (tries === 5) throw new Error(`show ${this.showId}: the join still answers ${r.outcome} after ${tries} tries`);
      if (r.outcome === 'must_open') await this.openSales();
      else await this.reserveNumbers(ledger, r.issued);
      r = await this.scripts.join({ ...args, again: true });
    }
    if (r.outcome === 'new' && (r.numbersLeft ?? NaN) < ledger.lowWater(this.showId)) {
      this.reserveNumbers(ledger, r.visitor, true).catch(() => undefined); // a later joiner waits, and tries again
    }
    switch (r.outcome) {
      case 'recovering':
        return { outcome: 'recovering', retryAfterMs: Math.max(1_000, r.graceLeftMs) };
      case 'rate_limited': {
        const ms = r.windowLeftMs;
        // address_tokens: no window ends (-1); a window's counter without an expiry: the window's length.
        const retryAfterMs = r.scope === 'address_tokens' ? null : ms > 0 ? ms : limits.windowMs;
        return { outcome: 'rate_limited', scope: r.scope, retryAfterMs, limit: r.limit, reclaimable: r.reclaimable };
      }
      case 'sold_out':
        return { outcome: 'sold_out', reclaimable: r.reclaimable };
      case 'new':
      case 'existing':
        return {
          outcome: r.outcome,
          visitor: r.visitor,
          place: r.place,
          state: r.state,
          crossed: r.crossed,
          ahead: r.ahead,
          paceMs: paceOf(r.visitMs, r.capacity),
          capacity: r.capacity,
          joinedAt: r.joinedAt,
          showStartsAt: r.showStartsAt,
          salesOpenAt: r.salesOpenAt,
          buyersLeft: buyersLeftOf(r.seatsFree, r.seatsPerOrder, assumed),
        };
      default:
        return { outcome: r.outcome };
    }
  }

  /** Numbers reserved above `issued`, and the room's ceiling raised to them (`ahead`: unless a reservation is under way). */
  private async reserveNumbers(ledger: TokenLedger, issued: number, ahead = false): Promise<void> {
    const ceiling = ledger.reserve(this.showId, issued, ahead);
    if (ceiling) await this.scripts.raiseCeiling(await ceiling);
  }

  /**
   * Whether the visitor's admission still holds: admitted or inside the zone, their token not given
   * back (they did not leave, nor let their turn lapse). reserve-seat asks before letting them in or
   * holding seats for them. When the room does not know the visitor (Redis forgot them) and their
   * access token is at hand (`admitted`), they are put back as admitted until it expires; null when
   * nothing can be told (the room itself is gone, or no token to go by).
   */
  async admissionHolds(visitor: number, admitted?: AdmittedAs): Promise<boolean | null> {
    const [state, returned, session] = await this.redis.hmget(
      visitorKey(this.scripts.keys, visitor),
      'state',
      'returned',
      'session',
    );
    // Unknown, another's number, or put back in line before they came with their access token.
    if (state === null || (admitted && (session !== admitted.session || state === 'waiting' || state === 'pre'))) {
      if (!admitted) return null;
      const back = await this.reinstate(
        visitor,
        admitted.session,
        admitted.place,
        { state: 'admitted', deadlineMs: admitted.deadlineMs },
        admitted.joinedAtMs,
      );
      if (back.outcome === 'known') return this.admissionHolds(visitor);
      return back.outcome === 'reinstated' && back.visitor === visitor ? true : null;
    }
    return (state === 'admitted' || state === 'inside') && returned !== '1';
  }

  /**
   * Puts a visitor Redis forgot back where their token says (see reinstate.lua): `visitor` may be a
   * new number when theirs went to someone else meanwhile (a replica that lagged), or another live
   * number the session holds (`superseded`).
   */
  async reinstate(
    visitor: number,
    sessionHash: string,
    place: number | null,
    as: { state: 'waiting' } | { state: 'admitted'; deadlineMs: number },
    joinedAtMs: number,
    ledger?: TokenLedger,
  ): Promise<{
    outcome: 'no_room' | 'must_reserve' | 'known' | 'superseded' | 'reinstated';
    visitor: number;
    place: number | null;
  }> {
    const args = {
      visitor,
      sessionHash,
      place,
      state: as.state,
      deadlineMs: as.state === 'admitted' ? as.deadlineMs : null,
      joinedAtMs,
      draw: randomInt(1, 2 ** 47) / 2 ** 47,
    };
    let r = await this.scripts.reinstate(args);
    // A new number is needed (theirs went to someone else) and none is reserved: reserve, then again.
    for (let tries = 0; r.outcome === 'must_reserve' && ledger && tries < 3; tries++) {
      await this.reserveNumbers(ledger, r.visitor); // the room's issued
      r = await this.scripts.reinstate(args);
    }
    if (r.outcome === 'no_room' || r.outcome === 'must_reserve') return { outcome: r.outcome, visitor, place };
    return { outcome: r.outcome, visitor: r.visitor, place: r.outcome === 'reinstated' ? r.place : place };
  }

  /** The visitor number a session holds in this show's room, if any. */
  async visitorOf(sessionHash: string): Promise<number | null> {
    const visitor = await this.redis.hget(this.scripts.keys.sessions, sessionHash);
    return visitor === null || visitor === '' ? null : Number(visitor);
  }

  /** Gives the pre-queue its places if sales have opened; returns how many got one. */
  async openSales(): Promise<number> {
    return Math.max(0, await this.scripts.openSales());
  }

  /**
   * The visitor's status, if the room knows them as holder of `sessionHash`'s token;
   * `assumed`: what the line assumes until it has measured its own (Assumptions).
   */
  async status(visitor: number, sessionHash: string, assumed: Assumed = DEFAULT_ASSUMED): Promise<VisitorStatus> {
    const r = await this.scripts.visitorStatus(visitor, sessionHash);
    const now = r.now ?? Date.now();
    return {
      basis: waitBasis({
        zone: r.zone,
        capacity: r.capacity,
        measuredVisitMs: r.visitMs ?? 0,
        assumedVisitMs: assumed.visitMs,
        leftVisitMs: r.leftVisitMs,
        paused: r.paused,
        now,
      }),
      stoppedAhead: 0,
      state: r.state,
      place: r.place,
      ahead: r.ahead,
      waiting: r.waiting,
      preQueue: r.preQueue,
      paceMs: paceOf(r.visitMs, r.capacity),
      capacity: r.capacity,
      inside: r.inside,
      deadline: r.deadline,
      availability: r.availability,
      salesOpenAt: r.salesOpenAt,
      salesOpened: r.salesOpened,
      paused: r.paused,
      earliestLease: r.earliestLease,
      now,
      seatsSoldOut: r.seatsSoldOut,
      buyersLeft: buyersLeftOf(r.seatsFree, r.seatsPerOrder, assumed),
    };
  }

  /**
   * The visitor gives up; their token goes back to the quota. Returns the state they left from
   * ('' if they were already out) and the listing it changed the show to.
   */
  async leave(visitor: number): Promise<{ leftFrom: string; availability: '' | Listing }> {
    return this.scripts.leave(visitor);
  }

  /** One admission pass; null if the show has no room (Redis forgot it: see ensureRoom). */
  async admit(admissionTtlMs: number, goneAfterMs: number): Promise<Admission | null> {
    return this.scripts.admit(admissionTtlMs, goneAfterMs);
  }

  /**
   * Sizes the zone from the legacy system's usage (written by reserve-seat's bulkhead), at most
   * once per `intervalMs`; null until reserve-seat has called the legacy system at all.
   */
  async adaptCapacity(sizing: ZoneSizing): Promise<Resized | null> {
    const [busy, waited, calls, full, limit] = await this.redis.hmget(
      LEGACY_USAGE_KEY,
      'busyMs',
      'waitedMs',
      'calls',
      'full',
      'limit',
    );
    if (!limit) return null;
    return this.scripts.adaptCapacity({
      busyMs: Number(busy ?? 0),
      waitedMs: Number(waited ?? 0),
      calls: Number(calls ?? 0),
      full: Number(full ?? 0),
      limit: Number(limit),
      intervalMs: sizing.intervalMs,
      maxCapacity: sizing.maxCapacity,
      targetUtilisation: sizing.targetUtilisation,
      waitHighMs: sizing.waitHighMs,
    });
  }

  /**
   * The visitor's visit to the zone is over: with an order confirmed their token became `seats`,
   * else (`none`: the hold given up or run out) it goes back to the quota. Safe to repeat.
   */
  async finish(visitor: number, token: 'seats' | 'none'): Promise<VisitEnd> {
    const end = await this.scripts.finish(visitor, token);
    // A redelivered end frees nothing: remembered once.
    if (end.freed) await rememberVisits(this.redis, this.showId);
    return end;
  }

  /** Sets the show's listing to what its tokens say now (after a quota change); '' if unchanged. */
  async relist(): Promise<'' | Listing> {
    return this.scripts.relist();
  }

  /** The visitor is active in the zone until `untilMs`: their slot's lease is extended. */
  async extend(visitor: number, untilMs: number): Promise<boolean> {
    return this.scripts.extendLease(visitor, untilMs);
  }
}

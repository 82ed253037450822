import type { Redis } from '@premiere/runtime';
import type { ZoneVisit } from './estimate';
import { ROOM_KEY_ORDER, roomKeys, type RoomKeys } from './keys';
import type { ReturnedToken } from './ledger';
import type { Admission, JoinLimit, Listing, Reclaimable, Resized, VisitEnd, VisitorState } from './queue';

/**
 * The Lua commands of ../lua as ioredis defines them (defineScripts): called only from here.
 * Every one takes a room's ten keys first (ROOM_KEY_ORDER).
 */
type Reply = (string | number | Reply)[];
interface RoomCommands {
  initRoom(...args: (string | number)[]): Promise<number>;
  restoreRoom(...args: string[]): Promise<number>;
  join(...args: (string | number)[]): Promise<Reply>;
  openSales(...args: string[]): Promise<number>;
  visitorStatus(...args: string[]): Promise<Reply>;
  snapshot(...args: (string | number)[]): Promise<Reply>;
  leave(...args: string[]): Promise<string[]>;
  admit(...args: (string | number)[]): Promise<Reply>;
  finish(...args: string[]): Promise<Reply>;
  extendLease(...args: (string | number)[]): Promise<number>;
  relist(...args: string[]): Promise<string>;
  adaptCapacity(...args: (string | number)[]): Promise<Reply>;
  raiseCeiling(...args: (string | number)[]): Promise<number>;
  reinstate(...args: (string | number)[]): Promise<Reply>;
  changeSettings(...args: string[]): Promise<Reply>;
  recordSeatsLeft(...args: (string | number)[]): Promise<number>;
}

/** What join.lua asks of the join (see ShowQueue.join). */
export interface JoinArgs {
  sessionHash: string;
  /** The pre-queue's draw, in (0, 1). */
  draw: number;
  admissionTtlMs: number;
  address: string;
  perAddress: number;
  perSession: number;
  windowMs: number;
  addressTokenCapMin: number;
  addressTokenCapShare: number;
  newTokensPerAddress: number;
  goneAfterMs: number;
  /** Run again after must_open or must_reserve: its rate limits were counted the first time. */
  again: boolean;
}

/** join.lua's answer, by outcome. */
export type JoinReply =
  | { outcome: 'must_open' }
  | { outcome: 'must_reserve'; issued: number }
  | { outcome: 'recovering'; graceLeftMs: number }
  | { outcome: 'sold_out'; reclaimable: Reclaimable }
  | { outcome: 'rate_limited'; scope: JoinLimit; windowLeftMs: number; limit: number; reclaimable: Reclaimable }
  | { outcome: 'no_room' | 'drained' | 'started' }
  | {
      outcome: 'new' | 'existing';
      visitor: number;
      place: number | null;
      state: VisitorState;
      crossed: '' | Listing;
      ahead: number;
      /** How long a visit takes, measured (null: not yet). */
      visitMs: number | null;
      capacity: number;
      joinedAt: number;
      showStartsAt: number;
      /** 0: on sale from the start (and for an existing token, not said). */
      salesOpenAt: number;
      /** Seats left to sell (else the show's seats), and per order; null: not said. */
      seatsFree: number | null;
      seatsPerOrder: number | null;
      /** Visitor numbers left below the room's ceiling (new tokens only). */
      numbersLeft: number | null;
    };

/** visitor-status.lua's answer (no_room and unknown with the rest at its defaults). */
export interface StatusReply {
  state: VisitorState | 'unknown' | 'no_room';
  place: number | null;
  ahead: number;
  waiting: number;
  preQueue: number;
  visitMs: number | null;
  capacity: number;
  inside: number;
  deadline: number | null;
  availability: string;
  salesOpenAt: number;
  salesOpened: boolean;
  /** Paused by an operator, or while a rebuilt room waits for its visitors. */
  paused: boolean;
  earliestLease: number | null;
  /** Redis's clock (ms); null when the room said nothing. */
  now: number | null;
  seatsSoldOut: boolean;
  seatsFree: number | null;
  seatsPerOrder: number | null;
  /** The visits in the zone (a waiting visitor's only, for their estimate). */
  zone: ZoneVisit[];
  /** How long the visits of those who left the zone took (0: none did yet). */
  leftVisitMs: number;
}

/** snapshot.lua's answer; `capacity` 0 when the show has no room. */
export interface SnapshotReply {
  now: number;
  capacity: number;
  paused: boolean;
  salesOpenAt: number;
  salesOpened: boolean;
  visitMs: number | null;
  seatsSoldOut: boolean;
  availability: string;
  lastPlace: number;
  headPlace: number | null;
  waiting: number;
  preQueue: number;
  /** In the zone: visitor, the end of their slot's lease and when they were admitted (ms). */
  inside: { visitor: number; lease: number; admittedAt: number }[];
  gaps: number[];
  gapsTruncated: boolean;
  seatsFree: number | null;
  seatsPerOrder: number | null;
  /** A rebuilt room waits for its visitors. */
  recovering: boolean;
  unknown: number[];
  stale: number[];
  leftVisitMs: number;
}

/** The legacy system's usage counters and how to size a zone from them (adapt-capacity.lua). */
export interface CapacityArgs {
  busyMs: number;
  waitedMs: number;
  calls: number;
  full: number;
  limit: number;
  intervalMs: number;
  maxCapacity: number;
  targetUtilisation: number;
  waitHighMs: number;
}

/** The settings an operator may change live (change-settings.lua); null removes one (its default again). */
export interface RoomSettings {
  paused?: 0 | 1;
  draining?: 0 | 1;
  capacity?: number;
  capacityFixed?: 0 | 1;
  capacityBase?: number;
  overbooking?: number;
  quota?: number;
  addressCap?: number | null;
}

/** reserve-seat's count of a show's seats (record-seats-left.lua). */
export interface SeatsLeft {
  soldOut: boolean;
  free: number;
  /** The seats an order takes on average; null before any order (the room keeps its last count). */
  perOrder: number | null;
}

const num = (v: unknown): number | null => (v === '' || v === undefined || v === null ? null : Number(v));
const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);

/** {visitor, session, reason, …} as the scripts list the tokens they gave back. */
const returnedOf = (flat: string[]): ReturnedToken[] =>
  Array.from({ length: flat.length / 3 }, (_, i) => ({
    visitor: Number(flat[3 * i]),
    session: flat[3 * i + 1],
    reason: flat[3 * i + 2] as ReturnedToken['reason'],
  }));

/**
 * The one caller of the waiting room's Lua scripts for one show: each method is one atomic script,
 * its keys named (RoomKeys) and its answer decoded here into a named, typed object.
 */
export class RoomScripts {
  private readonly keyList: string[];

  constructor(
    private readonly redis: Redis,
    readonly keys: RoomKeys,
  ) {
    this.keyList = ROOM_KEY_ORDER.map((name) => keys[name]);
  }

  static forShow(redis: Redis, showId: string): RoomScripts {
    return new RoomScripts(redis, roomKeys(showId));
  }

  private get commands(): RoomCommands {
    return this.redis as unknown as RoomCommands;
  }

  /** Creates the room from its catalog facts unless it exists; true if made. */
  async initRoom(fields: Record<string, string | number>): Promise<boolean> {
    return (await this.commands.initRoom(...this.keyList, ...Object.entries(fields).flat())) === 1;
  }

  /** Rebuilds a room Redis forgot (restore-room.lua); false if it exists. */
  async restoreRoom(fields: Record<string, string>, visitors: object[]): Promise<boolean> {
    return (await this.commands.restoreRoom(...this.keyList, JSON.stringify({ fields, visitors }))) === 1;
  }

  async join(a: JoinArgs): Promise<JoinReply> {
    const r = await this.commands.join(
      ...this.keyList,
      a.sessionHash,
      a.draw,
      a.admissionTtlMs,
      a.address,
      a.perAddress,
      a.perSession,
      a.windowMs,
      a.addressTokenCapMin,
      a.addressTokenCapShare,
      a.newTokensPerAddress,
      a.goneAfterMs,
      a.again ? '1' : '0',
    );
    const outcome = String(r[0]);
    switch (outcome) {
      case 'must_open':
      case 'no_room':
      case 'drained':
      case 'started':
        return { outcome };
      case 'must_reserve':
        return { outcome, issued: Number(r[1]) };
      case 'recovering':
        return { outcome, graceLeftMs: Number(r[1]) };
      case 'sold_out':
        return { outcome, reclaimable: (r[1] ?? '') as Reclaimable };
      case 'rate_limited':
        return {
          outcome,
          scope: r[1] as JoinLimit,
          windowLeftMs: Number(r[2]),
          limit: Number(r[3]),
          reclaimable: (r[4] ?? '') as Reclaimable,
        };
      case 'new':
      case 'existing':
        return {
          outcome,
          visitor: Number(r[1]),
          place: num(r[2]),
          state: r[3] as VisitorState,
          crossed: r[4] as '' | Listing,
          ahead: Number(r[5]),
          visitMs: num(r[6]),
          capacity: Number(r[7]),
          joinedAt: Number(r[8]),
          showStartsAt: Number(r[9]),
          salesOpenAt: Number(r[10] ?? 0),
          seatsFree: num(r[11]),
          seatsPerOrder: num(r[12]),
          numbersLeft: num(r[13]),
        };
      default:
        throw new Error(`join.lua answered ${outcome}`);
    }
  }

  /** Raises the room's ceiling of visitor numbers to `ceiling` (never lowers it); the ceiling now, -1 without a room. */
  async raiseCeiling(ceiling: number): Promise<number> {
    return Number(await this.commands.raiseCeiling(...this.keyList, ceiling));
  }

  /** Gives the pre-queue its places if sales have opened: how many got one (-1: not open yet). */
  async openSales(): Promise<number> {
    return Number(await this.commands.openSales(...this.keyList));
  }

  async visitorStatus(visitor: number, sessionHash: string): Promise<StatusReply> {
    const r = await this.commands.visitorStatus(...this.keyList, String(visitor), sessionHash);
    const zoneFlat = list(r[18]);
    const zone: ZoneVisit[] = [];
    for (let i = 0; i < zoneFlat.length; i += 2)
      zone.push({ admittedAt: Number(zoneFlat[i]), lease: Number(zoneFlat[i + 1]) });
    return {
      state: r[0] as StatusReply['state'],
      place: num(r[1]),
      ahead: Number(r[2] ?? -1),
      waiting: Number(r[3] ?? 0),
      preQueue: Number(r[4] ?? 0),
      visitMs: num(r[5]),
      capacity: Number(r[6] ?? 0),
      inside: Number(r[7] ?? 0),
      deadline: num(r[8]),
      availability: String(r[9] ?? 'available'),
      salesOpenAt: Number(r[10] ?? 0),
      salesOpened: r[11] === '1',
      paused: r[12] === '1',
      earliestLease: num(r[13]),
      now: num(r[14]),
      seatsSoldOut: r[15] === '1',
      seatsFree: num(r[16]),
      seatsPerOrder: num(r[17]),
      zone,
      leftVisitMs: Number(r[19] || 0),
    };
  }

  /** What every poll needs, read once for all; `seen`: visitor, session hash, … of those who polled. */
  async snapshot(maxGaps: number, goneAfterMs: number, seen: (number | string)[]): Promise<SnapshotReply> {
    const r = await this.commands.snapshot(...this.keyList, maxGaps, goneAfterMs, ...seen);
    const insideFlat = list(r[12]);
    const admittedAt = list(r[19]);
    const inside = [];
    for (let i = 0; i < insideFlat.length; i += 2)
      inside.push({
        visitor: Number(insideFlat[i]),
        lease: Number(insideFlat[i + 1]),
        admittedAt: Number(admittedAt[i / 2] ?? 0),
      });
    return {
      now: Number(r[0]),
      capacity: Number(r[1] ?? 0),
      paused: r[2] === '1',
      salesOpenAt: Number(r[3] ?? 0),
      salesOpened: r[4] === '1',
      visitMs: num(r[5]),
      seatsSoldOut: r[6] === '1',
      availability: String(r[7] ?? 'available'),
      lastPlace: Number(r[8] ?? 0),
      headPlace: num(r[9]),
      waiting: Number(r[10] ?? 0),
      preQueue: Number(r[11] ?? 0),
      inside,
      gaps: list(r[13]).map(Number),
      gapsTruncated: r[14] === 1,
      seatsFree: num(r[15]),
      seatsPerOrder: num(r[16]),
      recovering: r[17] === 1,
      unknown: list(r[18]).map(Number),
      stale: list(r[20]).map(Number),
      leftVisitMs: Number(r[21] || 0),
    };
  }

  /** The visitor gives up: the state they left from ('' if already out) and the listing it changed to. */
  async leave(visitor: number): Promise<{ leftFrom: string; availability: '' | Listing }> {
    const [leftFrom, availability] = await this.commands.leave(...this.keyList, String(visitor));
    return { leftFrom, availability: availability as '' | Listing };
  }

  /** One admission pass; null without a room. */
  async admit(admissionTtlMs: number, goneAfterMs: number): Promise<Admission | null> {
    const r = await this.commands.admit(...this.keyList, admissionTtlMs, goneAfterMs);
    if (Number(r[0]) === -1) return null;
    return {
      admitted: Number(r[0]),
      firstPlace: num(r[1]),
      lastPlace: num(r[2]),
      reclaimed: Number(r[3]),
      passedOver: Number(r[4]),
      inside: Number(r[5]),
      waiting: Number(r[6]),
      reclaimedSince: num(r[7]),
      now: Number(r[8]),
      returned: { lapsed: Number(r[9]), passedOver: Number(r[10]), unclaimed: Number(r[12] ?? 0) },
      given: returnedOf(list(r[13])),
      availability: String(r[11]) as '' | Listing,
    };
  }

  /** Sizes the zone from the legacy system's usage (adapt-capacity.lua). */
  async adaptCapacity(a: CapacityArgs): Promise<Resized> {
    const r = await this.commands.adaptCapacity(
      ...this.keyList,
      a.busyMs,
      a.waitedMs,
      a.calls,
      a.full,
      a.limit,
      a.intervalMs,
      a.maxCapacity,
      a.targetUtilisation,
      a.waitHighMs,
    );
    return {
      capacity: Number(r[0]),
      change: String(r[1]) as Resized['change'],
      utilisation: Number(r[2]) < 0 ? null : Number(r[2]) / 1000,
      meanWaitMs: Number(r[3]) < 0 ? null : Number(r[3]),
    };
  }

  /** A visit to the zone is over: its token became `seats`, or (`none`) goes back to the quota. */
  async finish(visitor: number, token: 'seats' | 'none'): Promise<VisitEnd> {
    const [freed, change, availability] = await this.commands.finish(...this.keyList, String(visitor), token);
    return {
      freed: Number(freed) === 1,
      token: Number(change) as -1 | 0 | 1,
      availability: String(availability) as '' | Listing,
    };
  }

  /** The show's listing set to what its tokens say now; '' if unchanged. */
  async relist(): Promise<'' | Listing> {
    return (await this.commands.relist(...this.keyList)) as '' | Listing;
  }

  /** The visitor's slot's lease extended to `untilMs` (never shortened); true if extended. */
  async extendLease(visitor: number, untilMs: number): Promise<boolean> {
    return (await this.commands.extendLease(...this.keyList, String(visitor), untilMs)) === 1;
  }

  /** Puts back a visitor Redis forgot (reinstate.lua); `visitor` is the room's `issued` when the outcome is must_reserve. */
  async reinstate(a: {
    visitor: number;
    sessionHash: string;
    place: number | null;
    state: 'waiting' | 'admitted';
    deadlineMs: number | null;
    joinedAtMs: number;
    draw: number;
  }): Promise<{
    outcome: 'no_room' | 'must_reserve' | 'known' | 'superseded' | 'reinstated';
    visitor: number;
    place: number | null;
  }> {
    const r = await this.commands.reinstate(
      ...this.keyList,
      a.visitor,
      a.sessionHash,
      a.place ?? '',
      a.state,
      a.deadlineMs ?? '',
      a.joinedAtMs,
      a.draw,
    );
    return {
      outcome: String(r[0]) as 'no_room' | 'must_reserve' | 'known' | 'superseded' | 'reinstated',
      visitor: Number(r[1]),
      place: num(r[2]),
    };
  }

  /**
   * An operator's change of the room's settings, with the listing a new quota changes (one atomic
   * step); null if the room does not exist (it is not made here).
   */
  async changeSettings(settings: RoomSettings): Promise<{ availability: '' | Listing } | null> {
    const args = Object.entries(settings).flatMap(([field, value]) =>
      value === undefined ? [] : [field, value === null ? '' : String(value)],
    );
    const r = await this.commands.changeSettings(...this.keyList, ...args);
    if (r[0] === 'no_room') return null;
    return { availability: String(r[1] ?? '') as '' | Listing };
  }

  /** reserve-seat's count of the show's seats, told to its room if it has one; false if not. */
  async recordSeatsLeft(seats: SeatsLeft): Promise<boolean> {
    return (
      (await this.commands.recordSeatsLeft(
        ...this.keyList,
        seats.soldOut ? 1 : 0,
        seats.free,
        seats.perOrder ?? '',
      )) === 1
    );
  }
}

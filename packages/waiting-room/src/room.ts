import type pg from 'pg';
import type { Redis } from '@premiere/runtime';
import type { ConfigOf } from '@premiere/runtime';
import { ROOMS_KEY, roomKeys, visitorKey } from './keys';
import { RoomScripts, type RoomSettings } from './scripts';
import type { Listing } from './queue';
import type { WaitingRoomEnv } from './env';
import { reservedNumbers, returnedTokens } from './ledger';
import { estimateWait, waitBasis, buyersLeftOf, DEFAULT_ASSUMED, type Assumed } from './estimate';

/** A show as the waiting room needs it, read from the catalog (render_catalog's tables). */
export interface ShowFacts {
  showId: string;
  movieId: string;
  title: string;
  cinemaId: string;
  cinemaName: string;
  city: string;
  timeZone: string;
  roomType: string;
  startsAt: number;
  /** 0: on sale from the start. */
  salesOpenAt: number;
  seats: number;
  overbooking: number;
  capacity: number;
}

/** How long a room outlives its show: long enough for late payments and the operators' view. */
export const ROOM_KEPT_AFTER_START_MS = 6 * 3_600_000;

export async function readShowFacts(
  db: pg.Pool,
  showId: string,
  config: ConfigOf<WaitingRoomEnv>,
): Promise<ShowFacts | null> {
  const { rows } = await db.query(
    `SELECT s.id, s.movie_id, m.title, r.cinema_id, c.name AS cinema_name, c.city, c.time_zone, r.room_type,
            s.starts_at, s.sales_open_at, s.overbooking, c.zone_capacity,
            (SELECT count(*)::int FROM render_catalog.seats WHERE room_id = s.room_id) AS seats
       FROM render_catalog.shows s
       JOIN render_catalog.movies m ON m.id = s.movie_id
       JOIN render_catalog.rooms r ON r.id = s.room_id
       JOIN render_catalog.cinemas c ON c.id = r.cinema_id
      WHERE s.id = $1`,
    [showId],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    showId: row.id,
    movieId: row.movie_id,
    title: row.title,
    cinemaId: row.cinema_id,
    cinemaName: row.cinema_name,
    city: row.city,
    timeZone: row.time_zone,
    roomType: row.room_type,
    startsAt: row.starts_at.getTime(),
    salesOpenAt: row.sales_open_at ? row.sales_open_at.getTime() : 0,
    seats: row.seats,
    overbooking: row.overbooking === null ? config.OVERBOOKING_DEFAULT : Number(row.overbooking),
    capacity: row.zone_capacity ?? config.ZONE_CAPACITY_DEFAULT,
  };
}

/** Tokens a show issues: its seats plus the overbooking, rounded down. */
export const quotaOf = (seats: number, overbooking: number) => Math.floor(seats * (1 + overbooking) + 1e-9);

/**
 * Makes sure the show has a waiting room in Redis, created from the catalog on first use, or
 * rebuilt from what is durable if Redis forgot it (see restoreRoom). Returns false for a show the
 * catalog does not know.
 */
export async function ensureRoom(
  redis: Redis,
  db: pg.Pool,
  showId: string,
  config: ConfigOf<WaitingRoomEnv>,
): Promise<boolean> {
  if ((await redis.exists(roomKeys(showId).room)) === 1) return true;
  const show = await readShowFacts(db, showId, config);
  if (!show) return false;
  const fields: Record<string, string | number> = {
    movieId: show.movieId,
    title: show.title,
    cinemaId: show.cinemaId,
    cinemaName: show.cinemaName,
    city: show.city,
    timeZone: show.timeZone,
    roomType: show.roomType,
    startsAt: show.startsAt,
    opensAt: show.salesOpenAt,
    opened: 0,
    seats: show.seats,
    overbooking: show.overbooking,
    quota: quotaOf(show.seats, show.overbooking),
    capacity: show.capacity,
    // The adaptive zone never goes below it (adapt-capacity.lua).
    capacityBase: show.capacity,
    issued: 0,
    returned: 0,
    // Visitor numbers up to it may be issued; the first join reserves a block (ledger.ts).
    ceiling: 0,
    seq: 0,
    admitted: 0,
    paused: 0,
    draining: 0,
    graceMs: config.RECOVERY_GRACE_SECONDS * 1000,
    expireAt: show.startsAt + ROOM_KEPT_AFTER_START_MS,
  };
  const reserved = await reservedNumbers(db, showId);
  if (reserved) await restoreRoom(redis, db, showId, fields, reserved, config);
  else await RoomScripts.forShow(redis, showId).initRoom(fields);
  await redis.sadd(ROOMS_KEY, showId);
  return true;
}

/**
 * Rebuilds the room of a show that issued tokens (`reserved`: the ledger's highest visitor number)
 * after Redis forgot it: the operators' last settings (admit_batch.admin_actions), every number up
 * to `reserved` counted as issued, and the protected zone from reserve-seat's visits (open: in the
 * zone until the visit's end; ended: with seats, or its token given back). Everyone else's token
 * is live until they come back and are put back at their place (reinstate.lua), or until the grace
 * ends (lib/recovery.lua); admissions wait meanwhile.
 */
async function restoreRoom(
  redis: Redis,
  db: pg.Pool,
  showId: string,
  fields: Record<string, string | number>,
  reserved: number,
  config: ConfigOf<WaitingRoomEnv>,
) {
  const [settings, visits, returned] = await Promise.all([
    db.query<{ after: Partial<RoomState> }>(
      'SELECT after FROM admit_batch.admin_actions WHERE show_id = $1 ORDER BY id DESC LIMIT 1',
      [showId],
    ),
    db.query<{
      visitor: number;
      session_hash: string;
      entered_at: Date;
      ends_at: Date;
      ended: boolean;
      seated: boolean;
    }>(
      `SELECT v.visitor, v.session_hash, v.entered_at, v.ends_at, v.ended_at IS NOT NULL AS ended,
              EXISTS (SELECT 1 FROM reserve_seat.orders o WHERE o.show_id = v.show_id AND o.visitor = v.visitor AND o.state = 'confirmed') AS seated
         FROM reserve_seat.visits v WHERE v.show_id = $1`,
      [showId],
    ),
    returnedTokens(db, showId),
  ]);
  const last = settings.rows[0]?.after;
  if (last) {
    Object.assign(fields, { paused: last.paused ? 1 : 0, draining: last.draining ? 1 : 0 });
    if (last.overbooking !== undefined) Object.assign(fields, { overbooking: last.overbooking, quota: last.quota });
    if (last.capacity !== undefined)
      Object.assign(fields, {
        capacity: last.capacity,
        capacityBase: last.capacityBase ?? last.capacity,
        capacityFixed: last.capacityAdaptive ? 0 : 1,
      });
    if (last.addressTokenCap !== null && last.addressTokenCap !== undefined) fields.addressCap = last.addressTokenCap;
  }
  const visitors = visits.rows.map((v) => ({
    vid: v.visitor,
    ses: v.session_hash,
    state: v.ended ? 'done' : 'inside',
    admittedAt: v.entered_at.getTime(),
    lease: v.ends_at.getTime(),
    seated: v.seated ? 1 : 0,
    returned: v.ended && !v.seated ? 1 : 0,
  }));
  // Tokens given back one by one, whose visit (if any) did not say otherwise: their holders are told
  // they left, not put back in line.
  const inVisits = new Set(visitors.map((v) => v.vid));
  for (const t of returned) {
    if (inVisits.has(t.visitor)) continue;
    visitors.push({ vid: t.visitor, ses: t.session, state: 'left', admittedAt: 0, lease: 0, seated: 0, returned: 1 });
  }
  const issued = Math.max(reserved, ...visitors.map((v) => v.vid));
  const unclaimed = issued - visitors.length;
  // Before sales open nobody has a place (everyone is in the pre-queue); after, any number up to
  // `issued` may have been given as a place, and the sales are open (whoever held a pre-queue
  // token and never learnt their place is put at the back: the draw went with Redis).
  const open = Number(fields.opensAt) <= Date.now();
  Object.assign(fields, {
    issued,
    seq: open ? issued : 0,
    opened: open ? 1 : 0,
    ceiling: issued,
    returned: visitors.filter((v) => v.returned).length,
  });
  if (unclaimed > 0)
    Object.assign(fields, { unclaimed, recoverUntil: Date.now() + config.RECOVERY_GRACE_SECONDS * 1000 });
  // Field values as strings: Lua would write a fraction (the overbooking) with 17 digits.
  const text = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)]));
  await RoomScripts.forShow(redis, showId).restoreRoom(text, visitors);
}

/** A room's live state, as the operators see it. */
export interface RoomState {
  showId: string;
  title: string;
  cinemaName: string;
  startsAt: string;
  salesOpenAt: string | null;
  seats: number;
  /** Seats neither held nor sold, as reserve-seat last counted them (null before any order). */
  seatsFree: number | null;
  overbooking: number;
  quota: number;
  /** Tokens ever issued (they number the visitors), those given back, and the live ones: issued − returned. */
  tokensIssued: number;
  tokensReturned: number;
  tokensLive: number;
  /** What joiners can still get: the quota less the live tokens. */
  tokensLeft: number;
  /** An operator's cap on the live tokens one address may hold for this show (0: none); null: issue-token's default (ADDRESS_TOKEN_CAP_MIN, ADDRESS_TOKEN_CAP_SHARE). */
  addressTokenCap: number | null;
  waiting: number;
  preQueue: number;
  inside: number;
  capacity: number;
  /** Whether the bouncer sizes the zone (false: an operator fixed its capacity), and the least it may be. */
  capacityAdaptive: boolean;
  capacityBase: number;
  admitted: number;
  admissionsLastMinute: number;
  paceSeconds: number | null;
  /**
   * The wait the back of the line is told (s), as a poll would answer it (estimate.ts): null when
   * nobody waits or while admissions are paused (`paused`).
   */
  lineWaitSeconds: number | null;
  paused: boolean;
  draining: boolean;
  availability: string;
  /**
   * Rebuilt after Redis forgot it: until then admissions are held while its visitors come back,
   * then the tokens nobody came back for are given back (null: not recovering).
   */
  recoveringUntil: string | null;
}

/** `assumed`: what the line assumes until it has measured its own (Assumptions), for `lineWaitSeconds`. */
export async function readRoomState(
  redis: Redis,
  showId: string,
  assumed: Assumed = DEFAULT_ASSUMED,
): Promise<RoomState | null> {
  const keys = roomKeys(showId);
  const { room, queue, prequeue, inside, availability, admissions } = keys;
  const at = Date.now();
  const minute = Math.floor(at / 60_000);
  const results = await redis
    .multi()
    .hgetall(room)
    .zcard(queue)
    .zcard(prequeue)
    .zcard(inside)
    .get(availability)
    .hmget(admissions, String(minute - 1), String(minute))
    .zrange(inside, 0, -1, 'WITHSCORES')
    .time()
    .exec();
  const [r, waiting, preQueue, insideCount, avail, perMinute, insideFlat, time] = (results ?? []).map(([, v]) => v) as [
    Record<string, string>,
    number,
    number,
    number,
    string | null,
    (string | null)[],
    string[],
    [string, string],
  ];
  if (!r || !r.quota) return null;
  // The back of the line's wait, as its poll would be answered (the zone's visits, their admissions).
  let lineWaitSeconds: number | null = null;
  if (waiting > 0 && r.paused !== '1') {
    const visitors = insideFlat.filter((_, i) => i % 2 === 0);
    const admittedAt = visitors.length
      ? await Promise.all(visitors.map((v) => redis.hget(visitorKey(keys, v), 'admittedAt')))
      : [];
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    const zone = visitors.map((_, i) => ({
      admittedAt: Number(admittedAt[i] ?? 0),
      lease: Number(insideFlat[2 * i + 1]),
    }));
    const basis = waitBasis({
      zone,
      capacity: Number(r.capacity),
      measuredVisitMs: Number(r.visitMs) > 0 ? Number(r.visitMs) : 0,
      assumedVisitMs: assumed.visitMs,
      leftVisitMs: Number(r.leftVisitMs ?? 0),
      paused: false,
      now,
    });
    const wait = estimateWait(
      basis,
      waiting - 1,
      buyersLeftOf(r.seatsFree ?? r.seats, Number(r.seatsPerOrder) > 0 ? Number(r.seatsPerOrder) : null, assumed),
      now,
    );
    if (wait.state === 'estimated') lineWaitSeconds = Math.round(wait.ms / 1000);
  }
  const quota = Number(r.quota);
  const issued = Number(r.issued);
  // A recovery's grace over: what nobody came back for is given back at the next script's run.
  const recovering = Number(r.recoverUntil) > Date.now();
  const returned = Number(r.returned ?? 0) + (r.recoverUntil && !recovering ? Number(r.unclaimed ?? 0) : 0);
  const lastMinute = admissionsInLastMinute({
    previous: Number(perMinute[0] ?? 0),
    current: Number(perMinute[1] ?? 0),
    msIntoMinute: at % 60_000,
  });
  return {
    showId,
    title: r.title,
    cinemaName: r.cinemaName,
    startsAt: new Date(Number(r.startsAt)).toISOString(),
    salesOpenAt: Number(r.opensAt) > 0 ? new Date(Number(r.opensAt)).toISOString() : null,
    seats: Number(r.seats),
    seatsFree: r.seatsFree === undefined ? null : Number(r.seatsFree),
    overbooking: Number(r.overbooking),
    quota,
    tokensIssued: issued,
    tokensReturned: returned,
    tokensLive: issued - returned,
    tokensLeft: Math.max(0, quota - (issued - returned)),
    addressTokenCap: r.addressCap === undefined ? null : Number(r.addressCap),
    waiting,
    preQueue,
    inside: insideCount,
    capacity: Number(r.capacity),
    capacityAdaptive: r.capacityFixed !== '1',
    capacityBase: Number(r.capacityBase ?? r.capacity),
    admitted: Number(r.admitted),
    admissionsLastMinute: lastMinute,
    paceSeconds: Number(r.visitMs) > 0 ? Number(r.visitMs) / 1000 / Math.max(1, Number(r.capacity)) : null,
    lineWaitSeconds,
    paused: r.paused === '1',
    draining: r.draining === '1',
    availability: avail ?? 'available',
    recoveringUntil: recovering ? new Date(Number(r.recoverUntil)).toISOString() : null,
  };
}

/**
 * The admissions of the last 60 s, from the counts per minute admit.lua keeps: this minute's, and
 * the part of the last minute's still within 60 s (taken as spread evenly over it). Not the larger
 * of the two: 2 admitted just before a minute's turn and 3 just after are 5, not 3.
 */
export function admissionsInLastMinute(o: { previous: number; current: number; msIntoMinute: number }): number {
  return Math.round(o.current + o.previous * (1 - o.msIntoMinute / 60_000));
}

/** The shows with a waiting room in Redis (ensureRoom lists each), for the sweep and the operators' view. */
export function showsWithRooms(redis: Redis): Promise<string[]> {
  return redis.smembers(ROOMS_KEY);
}

/** Takes a show off the list of rooms when its room has expired (it outlived its show); true if it did. */
export async function forgetExpiredRoom(redis: Redis, showId: string): Promise<boolean> {
  if ((await redis.exists(roomKeys(showId).room)) === 1) return false;
  await redis.srem(ROOMS_KEY, showId);
  return true;
}

/**
 * An operator's change of a room's settings (one atomic script, with the listing a new quota
 * changes); null if the room does not exist. See RoomScripts.changeSettings.
 */
export function changeRoomSettings(
  redis: Redis,
  showId: string,
  settings: RoomSettings,
): Promise<{ availability: '' | Listing } | null> {
  return RoomScripts.forShow(redis, showId).changeSettings(settings);
}

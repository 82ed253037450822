import { SHOW_LISTING_KEYS } from '@premiere/contracts';
import { showKey } from '@premiere/runtime';

/**
 * A show's waiting room in Redis, every key under the show's hash tag (one Redis Cluster slot).
 * Written only by the Lua scripts of ../lua, through scripts.ts; docs/redis-keys.md says who may
 * read what.
 */
export interface RoomKeys {
  /**
   * (hash): the catalog facts (title, cinema, seats, start), the settings an operator can change
   * live (quota, overbooking, capacity, paused, draining, `addressCap`: change-settings.lua), the
   * counters (`issued`: tokens ever given, which numbers the visitors; `returned`: those given
   * back, so the live tokens are issued − returned; last place given, admitted), how long visits
   * take (`visitMs`, measured) and reserve-seat's count of the seats left (record-seats-left.lua).
   */
  room: string;
  /** (hash): session hash → visitor number (the same session always gets the same token). */
  sessions: string;
  /** (sorted set): waiting visitors by place. */
  queue: string;
  /** (sorted set): visitors who came before sales opened, by a secret random draw. */
  prequeue: string;
  /** (sorted set): visitors in the protected zone, by the end of their slot's lease. */
  inside: string;
  /**
   * The prefix of `visitor:<n>` (hash): one visitor's session hash, address, place, state and
   * times, and what became of their token (`returned`: given back to the quota; `seated`: it
   * became seats). See visitorKey.
   */
  visitorPrefix: string;
  /** (string): what the catalog lists for the show's tokens (SHOW_LISTING_KEYS.tokens). */
  availability: string;
  /** (hash): admissions per minute, for the operators' view. */
  admissions: string;
  /**
   * (sorted set): the places of visitors who left the line while waiting, behind its head, so that
   * the people ahead of a place can be counted from the head without asking Redis for every poll
   * (see snapshot.ts).
   */
  holes: string;
  /** (hash): client address → the live tokens issued to it (the per-address cap). */
  addresses: string;
}

/**
 * The order in which every Lua script of ../lua gets a room's keys (KEYS[1] … KEYS[10]). The
 * joins' rate-limit counters are made by join.lua from the room's key: `<room>:rate:address:<ip>`,
 * `<room>:rate:session:<hash>` and `<room>:rate:new:<ip>` (the new tokens an address took).
 */
export const ROOM_KEY_ORDER = [
  'room',
  'sessions',
  'queue',
  'prequeue',
  'inside',
  'visitorPrefix',
  'availability',
  'admissions',
  'holes',
  'addresses',
] as const satisfies readonly (keyof RoomKeys)[];

export function roomKeys(showId: string): RoomKeys {
  const key = (part: string) => showKey(showId, part);
  return {
    room: key('room'),
    sessions: key('sessions'),
    queue: key('queue'),
    prequeue: key('prequeue'),
    inside: key('inside'),
    visitorPrefix: key('visitor:'),
    availability: key(SHOW_LISTING_KEYS.tokens),
    admissions: key('admissions'),
    holes: key('holes'),
    addresses: key('addresses'),
  };
}

/** One visitor's hash. */
export const visitorKey = (keys: RoomKeys, visitor: number | string): string => `${keys.visitorPrefix}${visitor}`;

/** The shows with a waiting room, for the bouncer's safety-net pass and the operators' view. */
export const ROOMS_KEY = 'waiting-room:shows';

/** The deployment's memory of how long a visit takes, outside any show (see deployment-memory.ts). */
export const VISIT_MEMORY_KEY = '{waiting-room}:visit-ms';
/** The deployment's memory of how many seats an order takes, outside any show (see deployment-memory.ts). */
export const SEATS_PER_ORDER_MEMORY_KEY = '{waiting-room}:seats-per-order';

/**
 * Every key pattern of the waiting room, with placeholders (<id>: a show, <n>: a visitor, <ip>: a
 * client address as issue-token keys it, <hash>: a session hash), as docs/redis-keys.md lists them
 * (a test checks both ways).
 */
export function waitingRoomKeyPatterns(): string[] {
  const keys = roomKeys('<id>');
  const { visitorPrefix, ...rest } = keys;
  return [
    ...Object.values(rest),
    visitorKey(keys, '<n>'),
    // Made by join.lua from the room's key (see ROOM_KEY_ORDER).
    `${keys.room}:rate:address:<ip>`,
    `${keys.room}:rate:session:<hash>`,
    `${keys.room}:rate:new:<ip>`,
    ROOMS_KEY,
    VISIT_MEMORY_KEY,
    SEATS_PER_ORDER_MEMORY_KEY,
  ];
}

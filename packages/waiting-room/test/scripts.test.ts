import { createRedis, defineScripts, type Redis } from '@premiere/runtime';
import { createTestRedisPrefix, TEST_REDIS_URL } from '@premiere/testing';
import { roomKeys, RoomScripts, WAITING_ROOM_SCRIPTS } from '../src';

/** The operators' and reserve-seat's writes to a room, which go through the room's own scripts. */

const prefix = createTestRedisPrefix();
let redis: Redis;

beforeAll(async () => {
  redis = createRedis({ url: TEST_REDIS_URL, keyPrefix: prefix.prefix });
  defineScripts(redis, WAITING_ROOM_SCRIPTS);
  await new Promise((ready) => redis.once('ready', ready));
});
afterAll(async () => {
  redis.disconnect();
  await prefix.clean();
});

let shows = 0;
async function room(fields: Record<string, string | number>): Promise<RoomScripts> {
  const scripts = RoomScripts.forShow(redis, `scripts-${process.pid}-${++shows}`);
  const now = Date.now();
  await scripts.initRoom({
    seats: 10,
    quota: 10,
    issued: 0,
    returned: 0,
    capacity: 2,
    paused: 0,
    draining: 0,
    startsAt: now + 3_600_000,
    expireAt: now + 7_200_000,
    ...fields,
  });
  return scripts;
}

describe('change-settings.lua', () => {
  it('changes the settings, removes those sent as null, and relists the show by a new quota in the same step', async () => {
    const scripts = await room({ issued: 10, addressCap: 3 });
    expect(await scripts.relist()).toBe('sold_out');
    expect(await scripts.changeSettings({ overbooking: 0.5, quota: 15, paused: 1, addressCap: null })).toEqual({
      availability: 'available',
    });
    expect(await redis.hmget(scripts.keys.room, 'overbooking', 'quota', 'paused', 'addressCap')).toEqual([
      '0.5',
      '15',
      '1',
      null,
    ]);
    expect(await redis.get(scripts.keys.availability)).toBe('available');
    // No quota change: the listing is left as it is.
    expect(await scripts.changeSettings({ paused: 0 })).toEqual({ availability: '' });
  });

  it('writes nothing to a room that does not exist (it expired): no stub without its facts or expiry', async () => {
    const scripts = RoomScripts.forShow(redis, `scripts-${process.pid}-gone`);
    expect(await scripts.changeSettings({ capacity: 5, quota: 3 })).toBeNull();
    expect(await redis.exists(scripts.keys.room, scripts.keys.availability)).toBe(0);
  });

  it('changes only the settings an operator may change', async () => {
    const scripts = await room({});
    await expect(scripts.changeSettings({ issued: 0 } as never)).rejects.toThrow('"issued" is not a setting');
    expect(await redis.hget(scripts.keys.room, 'issued')).toBe('0');
  });
});

describe('record-seats-left.lua', () => {
  it('tells a room the seats left, and makes no room for a show without one', async () => {
    const scripts = await room({});
    expect(await scripts.recordSeatsLeft({ soldOut: false, free: 4, perOrder: 1.5 })).toBe(true);
    expect(await redis.hmget(scripts.keys.room, 'seatsSoldOut', 'seatsFree', 'seatsPerOrder')).toEqual([
      '0',
      '4',
      '1.5',
    ]);
    const none = RoomScripts.forShow(redis, `scripts-${process.pid}-none`);
    expect(await none.recordSeatsLeft({ soldOut: true, free: 0, perOrder: 1 })).toBe(false);
    expect(await redis.exists(roomKeys(`scripts-${process.pid}-none`).room)).toBe(0);
  });
});

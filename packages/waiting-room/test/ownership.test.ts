import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * A show's waiting room is changed only by this package's Lua scripts (docs/redis-keys.md): no
 * other package's sources spell one of its keys, nor write one with a Redis command of their own.
 * Tests may set a room up as they need; the code they test may not.
 */
const ROOT = path.resolve(__dirname, '../../..');
const OWNER = path.join(ROOT, 'packages/waiting-room');
const SOURCES = ['functions', 'packages', 'local-stack', 'bench', 'burst', 'chaos', 'simulators'];

function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const full = path.join(dir, name);
    if (['node_modules', 'dist', 'test', 'test-artifacts'].includes(name)) return [];
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|lua)$/.test(name) && !name.endsWith('.d.ts') ? [full] : [];
  });
}

/** Each line of code (not comments) of a file, with its number. */
const codeLines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .map((line, i) => ({ line, at: `${path.relative(ROOT, file)}:${i + 1}` }))
    .filter(({ line }) => !/^\s*(\*|\/\/|\/\*|--)/.test(line));

const files = SOURCES.flatMap((d) => sourceFiles(path.join(ROOT, d))).filter((f) => !f.startsWith(OWNER + path.sep));

/** The parts of a room's keys under the show's hash tag (keys.ts). */
const ROOM_PARTS = 'room|sessions|queue|prequeue|inside|visitor|availability|admissions|holes|addresses';
const SPELLED = new RegExp(
  `showKey\\([^,)]+,\\s*'(${ROOM_PARTS})'|\\{show:[^}]*\\}:(${ROOM_PARTS})\\b|'waiting-room:shows'`,
);
const WRITES =
  'hset|hsetnx|hdel|hincrby|hincrbyfloat|set|setex|psetex|getset|del|unlink|expire|pexpire|expireat|pexpireat|persist|sadd|srem|smove|zadd|zrem|zincrby|zremrangebyscore|zremrangebyrank|incr|incrby|decr|decrby|rename|lpush|rpush|lpop|rpop';
/** A write command whose key is a room's: roomKeys(…), the rooms' set, a room key bound to `room` or taken from a RoomKeys (`keys.inside`). */
const WRITTEN = new RegExp(
  `\\.(${WRITES})\\(\\s*(roomKeys\\(|ROOMS_KEY|room\\b|\\w*[kK]eys\\w*\\.(room|sessions|queue|prequeue|inside|visitorPrefix|availability|admissions|holes|addresses)\\b)`,
);

describe('the waiting room is the only writer of its keys', () => {
  it('finds sources to check', () => {
    expect(files.some((f) => f.includes(`${path.sep}admit-batch${path.sep}`))).toBe(true);
    expect(files.some((f) => f.includes(`${path.sep}reserve-seat${path.sep}`))).toBe(true);
  });

  it('no other package spells a room key', () => {
    const found = files
      .flatMap(codeLines)
      .filter(({ line }) => SPELLED.test(line))
      .map(({ line, at }) => `${at}: ${line.trim()}`);
    expect(found).toEqual([]);
  });

  it('no other package writes a room key with a Redis command of its own', () => {
    const found = files
      .flatMap(codeLines)
      .filter(({ line }) => WRITTEN.test(line))
      .map(({ line, at }) => `${at}: ${line.trim()}`);
    expect(found).toEqual([]);
  });
});

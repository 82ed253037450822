import { readFileSync } from 'node:fs';
import path from 'node:path';

const DOC = path.resolve(__dirname, '../../../docs/redis-keys.md');

/** docs/redis-keys.md's table: each key pattern and its owner. */
export function documentedRedisKeys(): Map<string, string> {
  const doc = readFileSync(DOC, 'utf8');
  const rows = new Map<string, string>();
  for (const line of doc.slice(doc.indexOf('## Keys')).split('\n')) {
    const [key, , owner] = line.split(' | ');
    const pattern = /^\| `([^`]+)`$/.exec(key ?? '')?.[1];
    if (pattern) rows.set(pattern, owner);
  }
  return rows;
}

/**
 * How `owner`'s key patterns (`made`, from its keys module) and docs/redis-keys.md disagree:
 * patterns the doc does not list as `owner`'s, and patterns it gives `owner` that the code does not make.
 */
export function redisKeysDocMismatch(owner: string, made: string[]): { undocumented: string[]; unmade: string[] } {
  const documented = documentedRedisKeys();
  return {
    undocumented: made.filter((key) => documented.get(key) !== owner),
    unmade: [...documented].filter(([key, who]) => who === owner && !made.includes(key)).map(([key]) => key),
  };
}

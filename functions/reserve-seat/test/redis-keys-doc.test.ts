import { readFileSync } from 'node:fs';
import path from 'node:path';
import { reserveSeatKeyPatterns } from '../src/keys';

/** docs/redis-keys.md's table: each key pattern and its owner. */
function documentedKeys(): Map<string, string> {
  const doc = readFileSync(path.resolve(__dirname, '../../../docs/redis-keys.md'), 'utf8');
  const rows = new Map<string, string>();
  for (const line of doc.slice(doc.indexOf('## Keys')).split('\n')) {
    const [key, , owner] = line.split(' | ');
    const pattern = /^\| `([^`]+)`$/.exec(key ?? '')?.[1];
    if (pattern) rows.set(pattern, owner);
  }
  return rows;
}

describe('docs/redis-keys.md and the keys reserve-seat makes', () => {
  const documented = documentedKeys();
  const made = reserveSeatKeyPatterns();

  it('lists every key pattern reserve-seat makes, as its owner', () => {
    expect(made.length).toBeGreaterThan(0);
    expect(made.map((key) => [key, documented.get(key)]).filter(([, owner]) => owner !== 'reserve-seat')).toEqual([]);
  });

  it('gives reserve-seat no key its code does not make', () => {
    expect(
      [...documented].filter(([key, owner]) => owner === 'reserve-seat' && !made.includes(key)).map(([key]) => key),
    ).toEqual([]);
  });
});

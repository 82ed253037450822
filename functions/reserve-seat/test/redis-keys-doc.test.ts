import { redisKeysDocMismatch } from '@premiere/testing';
import { reserveSeatKeyPatterns } from '../src/keys';

describe('docs/redis-keys.md and the keys reserve-seat makes', () => {
  it('lists every key pattern reserve-seat makes, as its owner, and gives it no other', () => {
    const made = reserveSeatKeyPatterns();
    expect(made.length).toBeGreaterThan(0);
    expect(redisKeysDocMismatch('reserve-seat', made)).toEqual({ undocumented: [], unmade: [] });
  });
});

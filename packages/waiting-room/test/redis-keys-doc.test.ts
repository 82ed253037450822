import { redisKeysDocMismatch } from '@premiere/testing';
import { waitingRoomKeyPatterns } from '../src';

describe('docs/redis-keys.md and the keys waiting-room makes', () => {
  it('lists every key pattern waiting-room makes, as its owner, and gives it no other', () => {
    const made = waitingRoomKeyPatterns();
    expect(made.length).toBeGreaterThan(0);
    expect(redisKeysDocMismatch('waiting-room', made)).toEqual({ undocumented: [], unmade: [] });
  });
});

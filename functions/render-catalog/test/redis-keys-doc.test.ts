import { redisKeysDocMismatch } from '@premiere/testing';
import { catalogKeyPatterns } from '../src/keys';

describe('docs/redis-keys.md and the keys render-catalog makes', () => {
  it('lists every key pattern render-catalog makes, as its owner, and gives it no other', () => {
    const made = catalogKeyPatterns();
    expect(made.length).toBeGreaterThan(0);
    expect(redisKeysDocMismatch('render-catalog', made)).toEqual({ undocumented: [], unmade: [] });
  });
});

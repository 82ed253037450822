import { BoundedMap } from '../src';

describe('BoundedMap', () => {
  it('holds at most its limit: a new key forgets the oldest, a known key is updated in place', () => {
    const m = new BoundedMap<string, number>(3);
    for (const [i, k] of ['a', 'b', 'c'].entries()) m.set(k, i);
    m.set('a', 10); // known: nothing forgotten
    expect([...m]).toEqual([
      ['a', 10],
      ['b', 1],
      ['c', 2],
    ]);
    m.set('d', 3);
    expect([...m.keys()]).toEqual(['b', 'c', 'd']);
    for (let i = 0; i < 1_000; i++) m.set(`k${i}`, i);
    expect(m.size).toBe(3);
    expect([...m.keys()]).toEqual(['k997', 'k998', 'k999']);
  });
});

import { admissionsInLastMinute } from '../src/room';

describe('admissions in the last minute, from per-minute counts', () => {
  it('counts admissions on both sides of a minute boundary (2 just before, 3 just after: 5)', () => {
    expect(admissionsInLastMinute({ previous: 2, current: 3, msIntoMinute: 1_000 })).toBe(5);
  });

  it('reads a steady rate as that rate anywhere in the minute', () => {
    for (const ms of [0, 15_000, 30_000, 59_999]) {
      expect(admissionsInLastMinute({ previous: 60, current: (60 * ms) / 60_000, msIntoMinute: ms })).toBe(60);
    }
  });

  it('lets the last minute’s count go as this minute goes by (as if it was spread evenly over its minute)', () => {
    expect(admissionsInLastMinute({ previous: 100, current: 0, msIntoMinute: 0 })).toBe(100);
    expect(admissionsInLastMinute({ previous: 100, current: 0, msIntoMinute: 45_000 })).toBe(25);
    expect(admissionsInLastMinute({ previous: 0, current: 7, msIntoMinute: 59_000 })).toBe(7);
  });
});

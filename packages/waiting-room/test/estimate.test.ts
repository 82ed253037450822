import { buyersLeftOf, describeWait, estimateWaitMs, nextPollMs, paceOf } from '../src/estimate';

describe('wait estimates', () => {
  it('multiplies the people ahead by the pace, or by the assumed visit over the slots until a visit has been measured', () => {
    expect(estimateWaitMs(9, 0, 10, 100_000)).toBe(10 * 10_000);
    expect(estimateWaitMs(9, 2_000, 10, 100_000)).toBe(10 * 2_000);
  });

  it('counts only the people ahead the seats left can serve: the rest are through in moments', () => {
    expect(estimateWaitMs(99, 1_000, 10, 100_000, 40)).toBe(41 * 1_000);
    expect(estimateWaitMs(9, 1_000, 10, 100_000, 40)).toBe(10 * 1_000); // fewer ahead than buyers left
    expect(estimateWaitMs(99, 1_000, 10, 100_000, 0)).toBe(1_000); // every seat taken: next to nothing
    expect(estimateWaitMs(99, 1_000, 10, 100_000, null)).toBe(100 * 1_000); // not counted yet
  });

  it('derives the pace and the buyers left from what the room holds', () => {
    expect(paceOf('6000', 30)).toBe(200);
    expect(paceOf('', 30)).toBe(0); // no visit has ended
    expect(buyersLeftOf('280', '2.5')).toBe(112);
    expect(buyersLeftOf('7', '')).toBe(7);
    expect(buyersLeftOf('', '2')).toBeNull();
  });

  it('says the wait in words and asks for the next poll within bounds', () => {
    expect(describeWait(30_000)).toBe('less than a minute');
    expect(describeWait(10 * 60_000)).toBe('about 10 minutes');
    expect(nextPollMs(600_000, 20_000, () => 0.5)).toBe(20_000);
    expect(nextPollMs(100, 20_000, () => 0.5)).toBe(1_000);
  });
});

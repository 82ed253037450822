import {
  buyersLeftOf,
  DEFAULT_ASSUMED,
  describeWait,
  estimateWait,
  nextPollMs,
  paceOf,
  waitBasis,
  type ZoneVisit,
} from '../src/estimate';

const S = 1_000;
const NOW = 1_000_000_000;
/** A zone of `n` visits admitted `ago` ms before NOW, their leases `lease` ms after NOW. */
const zone = (n: number, ago: number, lease = 300 * S): ZoneVisit[] =>
  Array.from({ length: n }, () => ({ admittedAt: NOW - ago, lease: NOW + lease }));
const basis = (over: Partial<Parameters<typeof waitBasis>[0]>) =>
  waitBasis({ zone: [], capacity: 10, measuredVisitMs: 0, assumedVisitMs: 100 * S, paused: false, now: NOW, ...over });
const ms = (e: ReturnType<typeof estimateWait>) => (e.state === 'estimated' ? e.ms : NaN);

describe('wait estimates', () => {
  it('is the time until the slot that takes the visitor frees: the visits inside end, then a visit per slot for every zone-full ahead', () => {
    // Ten slots, all taken by visits 40 s into their 100 s: the first ten in line wait 60 s, the next ten a visit more.
    const b = basis({ zone: zone(10, 40 * S) });
    expect(ms(estimateWait(b, 0, null, NOW))).toBe(60 * S);
    expect(ms(estimateWait(b, 9, null, NOW))).toBe(60 * S);
    expect(ms(estimateWait(b, 10, null, NOW))).toBe(160 * S);
    expect(ms(estimateWait(b, 25, null, NOW))).toBe(260 * S);
    // Until a visit has been measured, the assumed one; then the measured one.
    expect(ms(estimateWait(basis({ zone: zone(10, 0), measuredVisitMs: 20 * S }), 10, null, NOW))).toBe(40 * S);
    // Later polls of the same basis: the time gone by is taken off what the visits inside have left.
    expect(ms(estimateWait(b, 10, null, NOW + 10 * S))).toBe(150 * S);
  });

  it('slow visits: seven ahead of visits lasting minutes is minutes, not "less than a minute" (the issue’s 291 s)', () => {
    // Ten slots, visits measured at 4 minutes, the zone full of visits a minute in: the 8th slot frees in about 3 minutes.
    const b = basis({ zone: zone(10, 60 * S), measuredVisitMs: 240 * S });
    const e = ms(estimateWait(b, 7, null, NOW));
    expect(e).toBe(180 * S);
    expect(describeWait(e)).toBe('about 3 minutes');
  });

  it('grows while nobody moves: a visit that runs past its expected length is expected to take longer still', () => {
    // One slot, a 60 s visit; the next in line is told about 60 s.
    const at = (elapsed: number) =>
      ms(estimateWait(basis({ capacity: 1, zone: zone(1, elapsed), measuredVisitMs: 60 * S }), 0, null, NOW));
    expect(at(0)).toBe(60 * S);
    expect(at(30 * S)).toBe(30 * S);
    // The visit overruns, nobody moves: the estimate grows with every second of it, never "any moment now".
    const overdue = [70, 100, 160, 250].map((s) => at(s * S));
    for (let i = 1; i < overdue.length; i++) expect(overdue[i]).toBeGreaterThan(overdue[i - 1]);
    expect(at(160 * S)).toBeGreaterThanOrEqual(60 * S);
    // And the visits after it are taken to be as long as the ones inside have shown they are.
    const behind = (elapsed: number) =>
      ms(estimateWait(basis({ capacity: 1, zone: zone(1, elapsed), measuredVisitMs: 60 * S }), 1, null, NOW));
    expect(behind(160 * S)).toBeGreaterThan(behind(30 * S) + 60 * S);
    // A slot is free at its lease's end at the latest (the bouncer takes it back then).
    expect(
      ms(estimateWait(basis({ capacity: 1, zone: zone(1, 250 * S, 20 * S), measuredVisitMs: 60 * S }), 0, null, NOW)),
    ).toBeLessThanOrEqual(20 * S);
  });

  it('says "paused" while admissions are paused, not a number', () => {
    const e = estimateWait(basis({ zone: zone(10, 40 * S), paused: true }), 3, null, NOW);
    expect(e.state).toBe('paused');
    expect((e as { ms?: number }).ms).toBeUndefined();
  });

  it('a growing or shrinking zone: free slots take the next at once; slots above a lowered capacity free nobody', () => {
    // Capacity raised from 10 to 15: five slots free now.
    const grown = basis({ capacity: 15, zone: zone(10, 40 * S) });
    expect(ms(estimateWait(grown, 4, null, NOW))).toBe(0);
    expect(ms(estimateWait(grown, 5, null, NOW))).toBe(60 * S);
    // Lowered from 10 to 5: five visits must end before anyone is let in.
    const shrunk = basis({ capacity: 5, zone: [...zone(5, 90 * S), ...zone(5, 40 * S)] });
    expect(ms(estimateWait(shrunk, 0, null, NOW))).toBe(60 * S);
  });

  it('counts only the people ahead the seats left can serve: the rest are through in moments', () => {
    const b = basis({ zone: zone(10, 0), measuredVisitMs: 10 * S });
    expect(ms(estimateWait(b, 99, 40, NOW))).toBe(50 * S); // 40 served: four more zone-fulls
    expect(ms(estimateWait(b, 9, 40, NOW))).toBe(10 * S);
    expect(ms(estimateWait(b, 99, null, NOW))).toBe(100 * S);
  });

  it('the people ahead whom the seats left cannot serve each hold a slot as long as a visit that ended in leaving takes', () => {
    // Every seat taken (held, not yet paid): the 90 ahead are let in one by one, find nothing, and
    // leave after 2 s each: 30 slots take them in 6 s, not "no wait".
    const b = basis({ capacity: 30, zone: zone(30, 5 * S), measuredVisitMs: 6 * S, leftVisitMs: 2 * S });
    expect(ms(estimateWait(b, 90, 0, NOW))).toBe(1 * S + 6 * S);
    // Until anyone has left the zone, they are taken to be through in moments.
    expect(ms(estimateWait(basis({ capacity: 30, zone: zone(30, 5 * S), measuredVisitMs: 6 * S }), 90, 0, NOW))).toBe(
      1 * S,
    );
  });

  it('derives the pace and the buyers left from what the room holds', () => {
    expect(paceOf('6000', 30)).toBe(200);
    expect(paceOf('', 30)).toBe(0); // no visit has ended
    expect(buyersLeftOf('280', 2.5, DEFAULT_ASSUMED)).toBe(112);
    // Before reserve-seat counted the show's orders: the seats an order is assumed to take.
    expect(buyersLeftOf('7', null, DEFAULT_ASSUMED)).toBe(4);
    expect(buyersLeftOf('7', null, { ...DEFAULT_ASSUMED, seatsPerOrder: 1 })).toBe(7);
    expect(buyersLeftOf('', 2, DEFAULT_ASSUMED)).toBeNull();
  });

  it('says the wait in words, never more precise than it is', () => {
    expect(describeWait(30_000)).toBe('less than a minute');
    expect(describeWait(10 * 60_000)).toBe('about 10 minutes');
  });

  it('asks the next poll within a couple of seconds near the front (an admission is learnt at once), later the further back', () => {
    const b = basis({ zone: zone(10, 0), measuredVisitMs: 240 * S });
    const front = estimateWait(b, 3, null, NOW);
    expect(ms(front)).toBe(240 * S);
    // Four minutes away, but a slot may free any moment: told to poll within two seconds.
    expect(nextPollMs(front, 20_000, () => 1)).toBeLessThanOrEqual(2_000);
    expect(nextPollMs(front, 20_000, () => 0)).toBeGreaterThanOrEqual(1_000);
    // A zone-full or more behind: 30% of the estimate, up to the most.
    expect(nextPollMs(estimateWait(b, 40, null, NOW), 20_000, () => 0.5)).toBe(20_000);
    expect(
      nextPollMs(estimateWait(basis({ zone: zone(10, 0), measuredVisitMs: 20 * S }), 10, null, NOW), 20_000, () => 0.5),
    ).toBe(12_000);
    // Paused: near the front within two seconds too (admissions resume any moment), the rest at most every ten.
    const paused = basis({ zone: zone(10, 0), paused: true });
    expect(nextPollMs(estimateWait(paused, 2, null, NOW), 20_000, () => 1)).toBeLessThanOrEqual(2_000);
    expect(nextPollMs(estimateWait(paused, 200, null, NOW), 20_000, () => 0.5)).toBe(10_000);
  });
});

import { arrivalMs } from '../src/main';
import { etaErrorP90Pct, etaErrorPct, outOfOrder, utilisationWhileWaiting } from '../src/figures';
import { Recorder, type Sample, type Visit } from '../src/recorder';

const visit = (over: Partial<Visit>): Visit => ({
  arrivedAt: 0,
  show: 's',
  place: null,
  firstEstimateS: null,
  estimatedAt: null,
  joinedAt: 0,
  lastWaitingAt: null,
  admittedAt: null,
  admissionAt: null,
  outcome: 'bought',
  stage: 'paying',
  seats: [],
  ...over,
});

describe('the burst’s figures', () => {
  it('counts an admission out of order only when someone ahead was certainly still waiting', () => {
    const inOrder = [
      visit({ place: 1, lastWaitingAt: 1_000, admittedAt: 2_000 }),
      visit({ place: 2, lastWaitingAt: 2_500, admittedAt: 3_000 }),
    ];
    expect(outOfOrder(inOrder)).toBe(0);
    // Place 1 was told to wait 5 s after place 2 learnt it was admitted.
    const jumped = [
      visit({ place: 1, lastWaitingAt: 8_000, admittedAt: 9_000 }),
      visit({ place: 2, lastWaitingAt: 1_000, admittedAt: 3_000 }),
    ];
    expect(outOfOrder(jumped)).toBe(1);
    // Within the status snapshot's age: not certain, not counted.
    expect(
      outOfOrder([
        visit({ place: 1, lastWaitingAt: 3_500, admittedAt: 9_000 }),
        visit({ place: 2, lastWaitingAt: 1_000, admittedAt: 3_000 }),
      ]),
    ).toBe(0);
    // Someone ahead who gave up is passed over, rightly.
    expect(
      outOfOrder([
        visit({ place: 1, lastWaitingAt: 8_000, outcome: 'gave_up' }),
        visit({ place: 2, lastWaitingAt: 1_000, admittedAt: 3_000 }),
      ]),
    ).toBe(0);
    // Different shows have different lines.
    expect(
      outOfOrder([
        visit({ show: 'a', place: 1, lastWaitingAt: 8_000 }),
        visit({ show: 'b', place: 2, admittedAt: 3_000 }),
      ]),
    ).toBe(0);
  });

  it('takes the median error of first estimates against actual waits of 5 s or more', () => {
    const v = [
      visit({ firstEstimateS: 10, estimatedAt: 0, admissionAt: 10_000 }), // 0 %
      visit({ firstEstimateS: 15, estimatedAt: 2_000, admissionAt: 12_000 }), // 50 %
      visit({ firstEstimateS: 8, estimatedAt: 0, admissionAt: 10_000 }), // 20 %
      visit({ firstEstimateS: 100, estimatedAt: 0, admissionAt: 1_000 }), // too short a wait to judge
    ];
    expect(etaErrorPct(v)).toBe(20);
    expect(etaErrorPct([])).toBeNull();
  });

  it('takes the 90th percentile of the same errors: the worst told, bar one in ten', () => {
    // Errors of 0, 10, …, 90 % and one of 300 %: the 90th percentile is 90 %.
    const v = Array.from({ length: 10 }, (_, i) =>
      visit({ firstEstimateS: 10 + i, estimatedAt: 0, admissionAt: 10_000 }),
    );
    v.push(visit({ firstEstimateS: 40, estimatedAt: 0, admissionAt: 10_000 }));
    expect(etaErrorP90Pct(v)).toBe(90);
    expect(etaErrorPct(v)).toBe(50);
    expect(etaErrorP90Pct([])).toBeNull();
  });

  it('measures the legacy system’s utilisation over the seconds people waited (and seats were left)', () => {
    const rec = new Recorder();
    const second = (t: number, waiting: number, busyMs: number, seatsFree: number): Sample => ({
      t,
      waiting,
      legacyBusyMs: busyMs,
      seatsFree,
      visitS: null,
      arrived: 0,
      inside: 0,
      capacity: 10,
      sold: 0,
      legacyInFlight: 0,
      requests: 0,
      errors5xx: 0,
      timeouts: 0,
    });
    // 1 s idle with nobody waiting, 2 s fully busy with a line, 1 s with a line but every seat held.
    rec.samples.push(
      second(0, 0, 0, 50),
      second(1, 0, 0, 50),
      second(2, 30, 10_000, 20),
      second(3, 20, 20_000, 0),
      second(4, 10, 20_000, 0),
    );
    expect(utilisationWhileWaiting(rec, 10)).toBe(0.67);
    expect(utilisationWhileWaiting(rec, 10, true)).toBe(1);
    expect(utilisationWhileWaiting(rec, null)).toBeNull();
  });

  it('brings a share of the crowd within the ramp and the rest over the two ramps after it', () => {
    const times = Array.from({ length: 1_000 }, (_, i) => arrivalMs(i, 1_000, 30, 0.8));
    expect(times.filter((t) => t < 30_000)).toHaveLength(800);
    expect(Math.max(...times)).toBeLessThanOrEqual(90_000);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(Math.max(...Array.from({ length: 1_000 }, (_, i) => arrivalMs(i, 1_000, 30, 0.8, 180)))).toBeLessThanOrEqual(
      210_000,
    );
  });
});

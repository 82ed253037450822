import { allFaults, pickFaults, restartedBesides } from '../src/faults';
import { parse } from '../src/main';
import { failures, summary, type Findings } from '../src/summary';

const holds = { count: 0, details: [] };
const allHold = (): Findings => ({
  oversold: holds,
  doubleCharges: holds,
  unrefunded: holds,
  unpaidTickets: holds,
  legacyAgrees: holds,
  stuckOrders: holds,
  outbox: holds,
  deadLettersLeft: holds,
  deadLettersLost: holds,
  lostPlaces: holds,
  errorsOutside: holds,
  legacyLimit: holds,
});
const fault = { name: 'kill -9 reserve-seat', start_ms: 8_000, end_ms: 10_100, recovered_ms: 2_100, errors_5xx: 3 };

describe('the last line', () => {
  it('is one JSON object in the issue’s shape, keys in its order', () => {
    const line = JSON.stringify(
      summary({
        faults: [fault],
        visitors: 300,
        purchases: 80,
        findings: allHold(),
        legacy: { maxConcurrency: 10, limit: 10 },
      }),
    );
    expect(line).toBe(
      '{"chaos":{"faults":[{"name":"kill -9 reserve-seat","start_ms":8000,"end_ms":10100,"recovered_ms":2100,"errors_5xx":3}],' +
        '"visitors":300,"purchases":80,"oversold":0,"double_charges":0,"unrefunded":0,"stuck_orders":0,"lost_places":0,"lost_events":0,' +
        '"dead_letters_left":0,"errors_5xx_outside_faults":0,"legacy":{"max_concurrency":10,"limit":10}}}',
    );
  });

  it('counts as lost events those never published and dead letters the store lost; null for what could not be checked', () => {
    const findings = {
      ...allHold(),
      outbox: { count: 2, details: ['x'] },
      deadLettersLost: { count: 3, details: ['y'] },
      stuckOrders: { unchecked: 'no database known' },
    };
    const { chaos } = summary({
      faults: [],
      visitors: 1,
      purchases: 0,
      findings,
      legacy: { maxConcurrency: null, limit: null },
    });
    expect(chaos.lost_events).toBe(5);
    expect(chaos.stuck_orders).toBeNull();
    expect(chaos.legacy).toEqual({ max_concurrency: null, limit: null });
  });
});

describe('what fails a run', () => {
  it('nothing when every invariant holds, every fault recovered and someone bought', () => {
    expect(failures(allHold(), [fault], 1)).toEqual([]);
  });

  it('says which invariant broke, which could not be checked, which part did not come back, and a drain that dropped requests', () => {
    const findings = {
      ...allHold(),
      lostPlaces: { count: 2, details: ['2 visitors lost their place (2 told "expired" while waiting)'] },
      outbox: { unchecked: 'no database known' },
    };
    const faults = [
      { ...fault, name: 'kill -9 postgres', recovered_ms: null, note: 'postgres not back within 20 s' },
      { ...fault, name: 'SIGTERM reserve-seat under load', in_flight: 72, dropped: 40 },
      { ...fault, name: 'kill -9 redis (data kept)', restarted: ['admit-batch', 'issue-token'] },
    ];
    expect(failures(findings, faults, 0)).toEqual([
      'kill -9 postgres: not recovered (postgres not back within 20 s)',
      'SIGTERM reserve-seat under load: 40 of 72 requests sent before the signal failed (a drain drops nothing)',
      'kill -9 redis (data kept): admit-batch, issue-token died meanwhile and were started again (only the part hurt may: a lost database is an outage, not a crash)',
      'outbox drained: not checked (no database known)',
      'every waiting visitor kept its place or was served: 2 visitors lost their place (2 told "expired" while waiting)',
      'nobody bought anything: the crowd never reached the invariants that matter',
    ]);
  });
});

describe('the options', () => {
  it('the CI preset is short, and a flag overrides it', () => {
    const o = parse(['--preset', 'ci', '--visitors', '50'], {});
    expect(o).toMatchObject({ preset: 'ci', visitors: 50, arrive: 100, recoveryTimeout: 20, grace: 5 });
  });

  it('refuses an unknown option, a value out of range, and options only a stack given with --url takes', () => {
    expect(() => parse(['--vistors', '5'], {})).toThrow('unknown option --vistors');
    expect(() => parse(['--grace', '-1'], {})).toThrow('--grace must be a number from 0 to 3600, got -1');
    expect(() => parse(['--database-url', 'postgres://x'], {})).toThrow(
      '--database-url is for a stack given with --url',
    );
  });

  it('names the parts that died during a fault besides the one hurt (a new process, or none)', () => {
    const before = { postgres: 10, redis: 11, 'admit-batch': 12, 'issue-token': 13, 'reserve-seat': 14, edge: 15 };
    expect(restartedBesides(before, { ...before, postgres: 20 }, 'postgres')).toEqual([]);
    expect(
      restartedBesides(before, { ...before, postgres: 20, 'admit-batch': 21, 'reserve-seat': null }, 'postgres'),
    ).toEqual(['admit-batch', 'reserve-seat']);
    // A part nobody found before (none listened yet) is not counted.
    expect(restartedBesides({ ...before, edge: null }, { ...before, edge: 30 }, 'redis')).toEqual([]);
  });

  it('picks faults by name, in the standard order, and refuses one that does not exist', () => {
    const all = allFaults(['admit-batch', 'reserve-seat'], 'reserve-seat');
    expect(all.map((f) => f.key)).toEqual([
      'admit-batch',
      'reserve-seat',
      'sigterm',
      'edge',
      'redis',
      'redis-empty',
      'postgres',
      'broker',
    ]);
    expect(pickFaults(all, 'postgres,admit-batch').map((f) => f.name)).toEqual([
      'kill -9 admit-batch',
      'kill -9 postgres',
    ]);
    expect(() => pickFaults(all, 'redis,disk')).toThrow(
      '--faults: no fault disk (there are admit-batch, reserve-seat, sigterm, edge, redis, redis-empty, postgres, broker)',
    );
  });
});

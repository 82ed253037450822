import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadEventing } from '@premiere/local-stack/declarations';
import { CHART, findHelm, KUBE_VERSION, renderChart, ROOT } from '../src/helm';
import {
  describeIdleness,
  durationSeconds,
  idleness,
  KNATIVE_AUTOSCALER_DEFAULTS,
  scaleToZeroProblems,
  shortestGapSeconds,
} from '../src/scale-to-zero';

/**
 * Which functions reach zero between their schedules, computed from the rendered PingSources and
 * autoscaling annotations with Knative's default autoscaler settings; every function a schedule
 * keeps warm is kept warm on purpose (its PingSource says why), and docs/operations.md and the demo
 * say the same. Rendering tests need helm: skipped without it, except under CI (CI=true).
 */
type Doc = Record<string, any>;

const fn = (name: string, annotations: Record<string, string> = {}): Doc => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name: `premiere-${name}`, labels: { 'premiere.dev/function': name } },
  spec: { template: { metadata: { annotations }, spec: { containers: [{ image: 'i' }] } } },
});
const ping = (name: string, to: string, schedule: string, reason?: string): Doc => ({
  apiVersion: 'sources.knative.dev/v1',
  kind: 'PingSource',
  metadata: { name: `premiere-${name}`, ...(reason ? { annotations: { 'premiere.dev/keeps-warm': reason } } : {}) },
  spec: {
    schedule,
    sink: { ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: `premiere-${to}` }, uri: '/events' },
  },
});

describe('time to zero', () => {
  it('reads Go durations as Knative does', () => {
    expect(durationSeconds('60s')).toBe(60);
    expect(durationSeconds('5m')).toBe(300);
    expect(durationSeconds('1h30m')).toBe(5400);
    expect(durationSeconds('0s')).toBe(0);
    expect(() => durationSeconds('5 minutes')).toThrow('is not a duration');
  });

  it('finds the shortest time between two pings of several crons', () => {
    expect(shortestGapSeconds(['* * * * *'])).toBe(60);
    expect(shortestGapSeconds(['*/5 * * * *', '*/10 * * * *'])).toBe(300);
    expect(shortestGapSeconds(['0 * * * *', '30 * * * *'])).toBe(1800);
    expect(shortestGapSeconds(['0 3 * * 1'])).toBe(7 * 24 * 3600);
    expect(shortestGapSeconds([])).toBeNull();
  });

  it('counts the stable window, scale-down-delay and the grace period, and wants a minute at zero', () => {
    const docs = [
      fn('quick'),
      ping('quick-sweep', 'quick', '*/2 * * * *'),
      fn('lingering', { 'autoscaling.knative.dev/scale-down-delay': '5m' }),
      ping('lingering-relay', 'lingering', '*/5 * * * *'),
      fn('idle'),
      ping('idle-sweep', 'idle', '*/3 * * * *'),
      fn('warm', { 'autoscaling.knative.dev/min-scale': '1' }),
    ];
    const byName = Object.fromEntries(idleness(docs).map((i) => [i.function, i]));
    expect(byName.quick).toMatchObject({ reachesZero: false, secondsToZero: 90, shortestGapSeconds: 120 }); // 30 s at zero: not worth it
    expect(byName.lingering).toMatchObject({ reachesZero: false, secondsToZero: 390 });
    expect(byName.idle).toMatchObject({
      reachesZero: true,
      secondsToZero: 90,
      shortestGapSeconds: 180,
      keptWarmBy: [],
    });
    expect(byName.warm).toMatchObject({ reachesZero: false, minScale: 1 });
    expect(scaleToZeroProblems(docs)).toEqual([
      'PingSource premiere-lingering-relay fires every 5 min, but premiere-lingering needs 390 s without requests to reach zero, and a minute there: make it rarer (values schedules.lingering-relay) or say why it keeps the function warm (keepsWarm in eventing.yaml)',
      'PingSource premiere-quick-sweep fires every 2 min, but premiere-quick needs 90 s without requests to reach zero, and a minute there: make it rarer (values schedules.quick-sweep) or say why it keeps the function warm (keepsWarm in eventing.yaml)',
    ]);
  });

  it('accepts a function kept warm on purpose, and says why', () => {
    const docs = [
      fn('reserve-seat'),
      ping('reserve-seat-hold-expiry', 'reserve-seat', '* * * * *', 'holds last two minutes'),
    ];
    expect(scaleToZeroProblems(docs)).toEqual([]);
    expect(describeIdleness(idleness(docs))).toEqual([
      'reserve-seat  stays warm: premiere-reserve-seat-hold-expiry fires every 1 min: holds last two minutes (it would be at zero 90 s after its last request)',
    ]);
  });

  it('knows nothing reaches zero with scale to zero off (config-autoscaler)', () => {
    const off = idleness([fn('f')], { ...KNATIVE_AUTOSCALER_DEFAULTS, 'enable-scale-to-zero': 'false' });
    expect(off[0].reachesZero).toBe(false);
    expect(describeIdleness(off)).toEqual([
      'f  stays warm: scale to zero is off (config-autoscaler enable-scale-to-zero)',
    ]);
  });

  it('blames every schedule when only together they come too often', () => {
    const docs = [
      fn('f'),
      ping('f-a', 'f', '0,4,8,12,16,20,24,28,32,36,40,44,48,52,56 * * * *'),
      ping('f-b', 'f', '2,6,10,14,18,22,26,30,34,38,42,46,50,54,58 * * * *'),
    ];
    expect(idleness(docs)[0].keptWarmBy.map((p) => p.pingSource)).toEqual(['premiere-f-a', 'premiere-f-b']);
  });
});

/** docs/operations.md's table of which function reaches zero between sales: function → its verdict. */
function documented(): Map<string, string> {
  const doc = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
  const table = doc.slice(doc.indexOf('| function | between sales |'));
  const rows = table
    .split('\n')
    .slice(2)
    .filter((l) => l.startsWith('|'));
  const end = table
    .split('\n')
    .slice(2)
    .findIndex((l) => !l.startsWith('|'));
  return new Map(
    rows
      .slice(0, end < 0 ? rows.length : end)
      .map((l) => l.split('|').map((c) => c.trim()))
      .map((c) => [c[1], c[2]]),
  );
}

const helm = findHelm();
(helm || process.env.CI ? describe : describe.skip)('the chart’s schedules', () => {
  const docs = () => renderChart(helm!, []);

  it('let every function reach zero, except those a schedule keeps warm on purpose', () => {
    expect(scaleToZeroProblems(docs())).toEqual([]);
  });

  it('are what docs/operations.md says: which functions reach zero, which stay warm', () => {
    const computed = idleness(docs());
    const table = documented();
    expect([...table.keys()].sort()).toEqual(computed.map((i) => i.function));
    for (const i of computed)
      expect([i.function, table.get(i.function)]).toEqual([i.function, i.reachesZero ? 'reaches zero' : 'stays warm']);
  });

  it('are printed by the demo, as computed here', () => {
    const script = readFileSync(path.join(ROOT, 'k8s/demo-autoscale.sh'), 'utf8');
    expect(script).toMatch(/helm get manifest "\$RELEASE" -n "\$NS" \| node helm\/check\/dist\/idle-cli\.js/);
    const manifest = execFileSync(helm!, ['template', 'premiere', CHART, '--kube-version', KUBE_VERSION], {
      encoding: 'utf8',
    });
    const printed = execFileSync(process.execPath, [path.join(__dirname, '../dist/idle-cli.js')], {
      input: manifest,
      encoding: 'utf8',
    });
    for (const line of describeIdleness(idleness(docs()))) expect(printed).toContain(line);
    expect(printed).toMatch(/reserve-seat +stays warm: premiere-reserve-seat-hold-expiry fires every 1 min: .+/);
  });

  it('can be made rarer per schedule (values schedules.<name>), and only for schedules that exist', () => {
    const rarer = renderChart(helm!, ['--set-string', 'schedules.reserve-seat-hold-expiry=*/10 * * * *']);
    expect(
      rarer.find((d) => d.kind === 'PingSource' && (d as Doc).metadata.name === 'premiere-reserve-seat-hold-expiry'),
    ).toMatchObject({ spec: { schedule: '*/10 * * * *' } });
    expect(idleness(rarer).find((i) => i.function === 'reserve-seat')?.reachesZero).toBe(true);
    let refusal = '';
    try {
      renderChart(helm!, ['--set-string', 'schedules.reserve-seat-hold-expiri=*/10 * * * *']);
    } catch (err) {
      refusal = String((err as { stderr?: string }).stderr);
    }
    expect(refusal).toContain('schedules.reserve-seat-hold-expiri: no such schedule');
  });

  it('keep the local stack’s cadence: the defaults are eventing.yaml’s', () => {
    const pings = docs().filter((d) => d.kind === 'PingSource') as Doc[];
    for (const s of loadEventing().schedules)
      expect([s.name, pings.find((p) => p.metadata.name === `premiere-${s.name}`)?.spec.schedule]).toEqual([
        s.name,
        s.schedule,
      ]);
  });
});

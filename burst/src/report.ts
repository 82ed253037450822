import { html, Html } from '@premiere/web';
import { chart } from './chart';
import type { Figures } from './figures';
import { STEPS, type Recorder } from './recorder';
import { TARGETS, verdict, type Measured } from './targets';

/** The run's last second (the report may be written long after, once a compared run is done too). */
const endOf = (rec: Recorder) => rec.samples.at(-1)?.t ?? rec.now() / 1000;

const over = (rec: Recorder, pick: (s: Recorder['samples'][number]) => number | null): [number, number][] =>
  rec.samples.filter((s) => pick(s) !== null).map((s) => [s.t, pick(s)!]);

/** Admissions per second, as the crowd learnt of them. */
function admissionsPerSecond(rec: Recorder): [number, number][] {
  const perSecond = new Map<number, number>();
  for (const v of rec.visits)
    if (v.admissionAt !== null)
      perSecond.set(Math.floor(v.admissionAt / 1000), (perSecond.get(Math.floor(v.admissionAt / 1000)) ?? 0) + 1);
  const last = Math.ceil(endOf(rec));
  return Array.from({ length: last + 1 }, (_, t) => [t, perSecond.get(t) ?? 0]);
}

export interface Run {
  /** The run's key in the JSON (`waiting_room`, `naive`). */
  name: string;
  figures: Figures;
  recorder: Recorder;
  pods?: { t: number; service: string; pods: number }[];
}

const TITLES: Record<string, string> = {
  waiting_room: 'With the waiting room',
  naive: 'The naive design (for comparison)',
};
const titleOf = (run: Run) => TITLES[run.name] ?? run.name.replaceAll('_', ' ');

/** What became of a visitor, in words. */
const OUTCOMES: Record<string, string> = {
  bought: 'bought',
  sold_out: 'told it was sold out',
  no_seats: 'admitted, no seats left',
  gave_up: 'gave up waiting',
  let_expire: 'let the hold run out',
  error: 'stopped by an error',
};
const outcomeOf = (k: string) =>
  OUTCOMES[k] ??
  (k.startsWith('unfinished_') ? `still ${k.slice('unfinished_'.length)} at the end` : k.replaceAll('_', ' '));

const TIME = 'time since the start (s)';

function section(run: Run): Html {
  const { recorder: rec, figures: f } = run;
  const capacity = rec.samples.find((s) => s.capacity !== null)?.capacity ?? null;
  const limit = f.legacy.limit;
  const flat = (v: number | null): [number, number][] =>
    v === null
      ? []
      : [
          [0, v],
          [endOf(rec), v],
        ];
  const waits = rec.visits
    .filter((v) => v.firstEstimateS !== null && v.admissionAt !== null && v.estimatedAt !== null)
    .map((v): [number, number] => [(v.admissionAt! - v.estimatedAt!) / 1000, v.firstEstimateS!]);
  const longest = Math.max(0, ...waits.map((w) => w[0]));
  const services = [...new Set((run.pods ?? []).map((p) => p.service))];
  return html`<section><h2>${titleOf(run)}</h2>
${chart('Queue length', [{ name: 'visitors waiting', points: over(rec, (s) => s.waiting) }], { x: TIME, y: 'visitors', counts: true })}
${chart('Admissions per second', [{ name: 'visitors admitted', points: admissionsPerSecond(rec) }], { x: TIME, y: 'admissions in the second', counts: true })}
${chart(
  'Visitors inside the protected zone',
  [
    { name: 'inside', points: over(rec, (s) => s.inside) },
    { name: 'zone capacity', points: flat(capacity), dashed: true },
  ],
  { x: TIME, y: 'visitors', counts: true },
)}
${chart(
  'Seats sold, and left to sell (neither held nor sold)',
  [
    { name: 'sold', points: over(rec, (s) => s.sold) },
    { name: 'left to sell', points: over(rec, (s) => s.seatsFree) },
    { name: 'seats in all', points: flat(f.capacity), dashed: true },
  ],
  { x: TIME, y: 'seats', counts: true },
)}
${chart(
  'Legacy system: calls in flight',
  [
    { name: 'calls in flight', points: over(rec, (s) => s.legacyInFlight) },
    { name: 'its limit', points: flat(limit), dashed: true },
  ],
  { x: TIME, y: 'calls', counts: true },
)}
${chart(
  'Server errors (5xx) and timeouts, cumulative',
  [
    { name: 'server errors (5xx)', points: over(rec, (s) => s.errors5xx) },
    { name: 'timeouts', points: over(rec, (s) => s.timeouts) },
  ],
  { x: TIME, y: 'requests', counts: true },
)}
${
  waits.length
    ? chart(
        'First wait estimate against the actual wait',
        [
          { name: 'a visitor', points: waits, dots: true },
          {
            name: 'an exact estimate',
            points: [
              [0, 0],
              [longest, longest],
            ],
            dashed: true,
          },
        ],
        { x: 'actual wait (s)', y: 'first estimate (s)' },
      )
    : ''
}
${
  services.length
    ? chart(
        'Pods per Knative Service',
        services.map((svc) => ({
          name: svc,
          points: run.pods!.filter((p) => p.service === svc).map((p): [number, number] => [p.t, p.pods]),
        })),
        { x: TIME, y: 'pods', counts: true },
      )
    : ''
}
<h3>Latency per step (ms)</h3>
<div class="scroll"><table><tr><th>step</th><th>requests</th><th>median</th><th>90th percentile</th><th>99th percentile</th><th>server errors (5xx)</th><th>timeouts</th></tr>
${STEPS.filter((s) => f.latency_ms[s].count > 0).map((s) => html`<tr><td>${s}</td><td>${f.latency_ms[s].count}</td><td>${f.latency_ms[s].p50}</td><td>${f.latency_ms[s].p90}</td><td>${f.latency_ms[s].p99}</td><td>${f.errors_5xx_by_step[s]}</td><td>${f.timeouts_by_step[s]}</td></tr>`)}
</table></div>
<h3>What became of the visitors</h3>
<p>${Object.entries(f.outcomes)
    .map(([k, v]) => `${outcomeOf(k)}: ${v.toLocaleString('en-US')}`)
    .join(' · ')}</p>
</section>`;
}

const labelOf = (key: string) => TARGETS.find((t) => t.key === key)!.label;

/** Passed or failed, and why: which targets were missed (with what was measured), which could not be measured. */
function verdictOf(run: Run, named: boolean, gates: boolean): Html {
  const f = run.figures as Measured;
  const v = verdict(f);
  const missed = TARGETS.filter((t) => v.failed.includes(t.key));
  const heading = named ? html`${titleOf(run)}: ` : '';
  return html`<div class="verdict ${v.passed ? 'passed' : 'failed'}">
<p class="result">${heading}${v.passed ? '✓ Passed' : '✗ Failed'}${v.passed ? ': every target measured was met.' : `: ${missed.length} of ${TARGETS.length} targets missed; the invariants ${v.invariants_held ? 'held' : 'did not hold'}.`}</p>
${missed.length ? html`<ul>${missed.map((t) => html`<li>${t.label}: ${t.check(f).value} (target: ${t.target(f)})${t.invariant ? ' — an invariant' : ''}</li>`)}</ul>` : ''}
<p>Invariants (nothing oversold, the legacy limit never exceeded, no server errors, nobody out of turn, a purchase made): ${v.invariants_held ? 'held' : 'broken'}.${gates ? ' The CI preset fails the run on these alone: latency, utilisation and estimates depend on the machine and what else runs on it.' : ''}</p>
${v.not_measured.length ? html`<p>Not measured: ${v.not_measured.map(labelOf).join('; ')}.</p>` : ''}
</div>`;
}

const STATUS = {
  true: ['passed', '✓ passed'],
  false: ['failed', '✗ failed'],
  null: ['unmeasured', 'not measured'],
} as const;

/** Each figure beside its target, with pass or fail per run. */
function targetsTable(runs: Run[]): Html {
  return html`<div class="scroll"><table class="targets"><tr><th>figure</th><th>target</th>${runs.map((r) => html`<th colspan="2">${titleOf(r)}</th>`)}<th>in CI</th></tr>
${TARGETS.map((t) => {
  const cells = runs.map((r) => {
    const c = t.check(r.figures);
    const [cls, text] = STATUS[String(c.met) as keyof typeof STATUS];
    return html`<td>${c.value}</td><td class="${cls}">${text}</td>`;
  });
  return html`<tr><td>${t.label}</td><td>${t.target(runs[0].figures)}</td>${cells}<td>${t.invariant ? 'fails the run' : 'reported'}</td></tr>`;
})}
</table></div>`;
}

/** Figures without a target: what the run was, and what the load generator managed. */
const OTHER: [string, (f: Figures) => string][] = [
  ['Visitors', (f) => f.visitors.toLocaleString('en-US')],
  [
    'Legacy system’s utilisation while people waited (naive design: over the whole run)',
    (f) => (f.legacy.utilisation === null ? '–' : `${Math.round(f.legacy.utilisation * 100)}\u00a0%`),
  ],
  [
    'Load generator, requests a second: mean, busiest second',
    (f) => `${f.generator_rps.toLocaleString('en-US')}, ${f.generator_peak_rps.toLocaleString('en-US')}`,
  ],
  [
    'A visit to the zone while seats were left, as measured (median, s)',
    (f) => (f.visit_s === null ? '–' : String(f.visit_s)),
  ],
  ['Elapsed (s)', (f) => String(f.elapsed_s)],
];

/** The report: the verdict, each figure against its target, then each run's charts. One file, opens without a server. */
export function report(runs: Run[], meta: { started: string; options: string }): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>premiere burst report</title>
<style>body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#1d1d1f}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}
.verdict{border-left:.4rem solid;padding:.1rem 1rem;margin:.75rem 0;border-radius:.25rem}.verdict.passed{border-color:#15803d;background:#f0fdf4}.verdict.failed{border-color:#b91c1c;background:#fef2f2}.verdict .result{font-size:1.25rem;font-weight:700}
td{white-space:nowrap}td:first-child{white-space:normal}@media (min-width:40rem){td:first-child{min-width:16rem}}.scroll{overflow-x:auto}.targets td:nth-child(2),.targets th:nth-child(2){white-space:normal;text-align:left;max-width:14rem}td.passed{color:#15803d}td.failed{color:#b91c1c;font-weight:700}td.unmeasured{color:#666}
section{display:grid;grid-template-columns:repeat(auto-fill,minmax(26rem,1fr));gap:.5rem 1rem}section h2,section h3,section .scroll,section p{grid-column:1/-1}figure{margin:0}</style></head><body>
<h1>premiere burst report</h1>
${runs.map((r, i) => verdictOf(r, runs.length > 1, i === 0))}
<p>${meta.started} · <code>${meta.options}</code></p>
<h2>Figures against their targets</h2>
${targetsTable(runs)}
<h2>Other figures</h2>
<div class="scroll"><table><tr><th>figure</th>${runs.map((r) => html`<th>${titleOf(r)}</th>`)}</tr>
${OTHER.map(([label, get]) => html`<tr><td>${label}</td>${runs.map((r) => html`<td>${get(r.figures)}</td>`)}</tr>`)}
</table></div>
${runs.map(section)}
</body></html>`.text;
}

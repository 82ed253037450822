import { html, Html } from '@premiere/runtime';
import type { Figures } from './figures';
import { STEPS, type Recorder } from './recorder';

interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
  /** Points, not a line. */
  dots?: boolean;
}

const COLORS = ['#0a66c2', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490'];
const W = 560;
const H = 220;
const PAD = { l: 48, r: 12, t: 28, b: 30 };

const nice = (v: number) => {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((c) => c >= v)!;
};

/** A chart as inline SVG: lines (or dots), axes with a few ticks, a legend. No script, no server. */
function chart(title: string, series: Series[], opts: { xLabel?: string } = {}): Html {
  const all = series.flatMap((s) => s.points);
  const xMax = nice(Math.max(1, ...all.map((p) => p[0])));
  const yMax = nice(Math.max(1, ...all.map((p) => p[1])));
  const x = (v: number) => PAD.l + (v / xMax) * (W - PAD.l - PAD.r);
  const y = (v: number) => H - PAD.b - (v / yMax) * (H - PAD.t - PAD.b);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const grid = ticks.map((f) => `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(f * yMax)}" y2="${y(f * yMax)}" stroke="#eee"/><text x="${PAD.l - 6}" y="${y(f * yMax) + 4}" text-anchor="end">${+(f * yMax).toPrecision(3)}</text>`).join('');
  const xTicks = ticks.map((f) => `<text x="${x(f * xMax)}" y="${H - PAD.b + 16}" text-anchor="middle">${+(f * xMax).toPrecision(3)}</text>`).join('');
  const body = series
    .map((s, i) => {
      const c = COLORS[i % COLORS.length];
      if (s.dots) return s.points.map(([a, b]) => `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="2" fill="${c}" fill-opacity=".6"/>`).join('');
      const d = s.points.map(([a, b], j) => `${j ? 'L' : 'M'}${x(a).toFixed(1)},${y(b).toFixed(1)}`).join('');
      return `<path d="${d}" fill="none" stroke="${c}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`;
    })
    .join('');
  const legend = series.map((s, i) => `<tspan fill="${COLORS[i % COLORS.length]}">■ ${s.name}</tspan>`).join('  ');
  return new Html(
    `<figure><svg viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="${title}" font-size="11" font-family="system-ui,sans-serif">` +
      `<text x="${PAD.l}" y="16" font-weight="700" font-size="13">${title}</text>${grid}${xTicks}` +
      `<text x="${W - PAD.r}" y="${H - 4}" text-anchor="end" fill="#666">${opts.xLabel ?? 'seconds'}</text>` +
      `<line x1="${PAD.l}" x2="${PAD.l}" y1="${PAD.t}" y2="${H - PAD.b}" stroke="#999"/><line x1="${PAD.l}" x2="${W - PAD.r}" y1="${H - PAD.b}" y2="${H - PAD.b}" stroke="#999"/>` +
      `${body}<text x="${PAD.l + 4}" y="${PAD.t + 10}">${legend}</text></svg></figure>`,
  );
}

/** The run's last second (the report may be written long after, once a compared run is done too). */
const endOf = (rec: Recorder) => rec.samples.at(-1)?.t ?? rec.now() / 1000;

const over = (rec: Recorder, pick: (s: Recorder['samples'][number]) => number | null): [number, number][] =>
  rec.samples.filter((s) => pick(s) !== null).map((s) => [s.t, pick(s)!]);

/** Admissions per second, as the crowd learnt of them. */
function admissionsPerSecond(rec: Recorder): [number, number][] {
  const perSecond = new Map<number, number>();
  for (const v of rec.visits) if (v.admissionAt !== null) perSecond.set(Math.floor(v.admissionAt / 1000), (perSecond.get(Math.floor(v.admissionAt / 1000)) ?? 0) + 1);
  const last = Math.ceil(endOf(rec));
  return Array.from({ length: last + 1 }, (_, t) => [t, perSecond.get(t) ?? 0]);
}

export interface Run {
  name: string;
  figures: Figures;
  recorder: Recorder;
  pods?: { t: number; service: string; pods: number }[];
}

function section(run: Run): Html {
  const { recorder: rec, figures: f } = run;
  const capacity = rec.samples.find((s) => s.capacity !== null)?.capacity ?? null;
  const limit = f.legacy.limit;
  const flat = (v: number | null): [number, number][] => (v === null ? [] : [[0, v], [endOf(rec), v]]);
  const waits = rec.visits.filter((v) => v.firstEstimateS !== null && v.admissionAt !== null && v.estimatedAt !== null).map((v): [number, number] => [(v.admissionAt! - v.estimatedAt!) / 1000, v.firstEstimateS!]);
  const services = [...new Set((run.pods ?? []).map((p) => p.service))];
  return html`<section><h2>${run.name}</h2>
${chart('Queue length (visitors waiting)', [{ name: 'waiting', points: over(rec, (s) => s.waiting) }])}
${chart('Admissions per second', [{ name: 'admitted', points: admissionsPerSecond(rec) }])}
${chart('Visitors inside the protected zone', [{ name: 'inside', points: over(rec, (s) => s.inside) }, { name: 'capacity', points: flat(capacity), dashed: true }])}
${chart('Seats sold, and left to sell (neither held nor sold)', [{ name: 'sold', points: over(rec, (s) => s.sold) }, { name: 'left', points: over(rec, (s) => s.seatsFree) }, { name: 'seats', points: flat(f.capacity), dashed: true }])}
${chart('Legacy system: calls in flight', [{ name: 'in flight', points: over(rec, (s) => s.legacyInFlight) }, { name: 'limit', points: flat(limit), dashed: true }])}
${chart('Errors (5xx) and timeouts, cumulative', [{ name: '5xx', points: over(rec, (s) => s.errors5xx) }, { name: 'timeouts', points: over(rec, (s) => s.timeouts) }])}
${waits.length ? chart('First wait estimate (s) against the actual wait (s)', [{ name: 'visitor', points: waits, dots: true }, { name: 'exact', points: [[0, 0], [Math.max(...waits.map((w) => w[0])), Math.max(...waits.map((w) => w[0]))]], dashed: true }], { xLabel: 'actual wait, seconds' }) : ''}
${services.length ? chart('Pods per Knative Service', services.map((svc) => ({ name: svc, points: run.pods!.filter((p) => p.service === svc).map((p): [number, number] => [p.t, p.pods]) }))) : ''}
<h3>Latency per step (ms)</h3>
<table><tr><th>step</th><th>requests</th><th>p50</th><th>p90</th><th>p99</th><th>5xx</th><th>timeouts</th></tr>
${STEPS.filter((s) => f.latency_ms[s].count > 0).map((s) => html`<tr><td>${s}</td><td>${f.latency_ms[s].count}</td><td>${f.latency_ms[s].p50}</td><td>${f.latency_ms[s].p90}</td><td>${f.latency_ms[s].p99}</td><td>${f.errors_5xx_by_step[s]}</td><td>${f.timeouts_by_step[s]}</td></tr>`)}
</table>
<h3>What became of the visitors</h3>
<p>${Object.entries(f.outcomes).map(([k, v]) => `${k.replaceAll('_', ' ')}: ${v}`).join(' · ')}</p>
</section>`;
}

const ROWS: [string, (f: Figures) => unknown][] = [
  ['visitors', (f) => f.visitors],
  ['purchases', (f) => f.purchases],
  ['seats sold / capacity', (f) => `${f.seats_sold} / ${f.capacity}`],
  ['oversold seats', (f) => f.oversold],
  ['5xx answers', (f) => f.errors_5xx],
  ['timeouts', (f) => f.timeouts],
  ['legacy: highest concurrency / limit', (f) => `${f.legacy.max_concurrency ?? '–'} / ${f.legacy.limit ?? '–'}`],
  ['legacy utilisation (while people waited)', (f) => f.legacy.utilisation ?? '–'],
  ['… and seats were left to sell', (f) => f.legacy.utilisation_seats_left ?? '–'],
  ['sold-out answer p99 (ms)', (f) => f.soldout_p99_ms ?? '–'],
  ['waiting-room status p99 (ms)', (f) => f.status_p99_ms ?? '–'],
  ['admissions out of order', (f) => f.out_of_order],
  ['wait estimate error (median, %)', (f) => f.eta_error_pct ?? '–'],
  ['load generator (requests/s: mean, busiest second)', (f) => `${f.generator_rps}, ${f.generator_peak_rps}`],
  ['a visit to the zone while seats were left, as measured (s, median)', (f) => f.visit_s ?? '–'],
  ['elapsed (s)', (f) => f.elapsed_s],
];

/** The report: the figures side by side, then each run's charts. One file, opens without a server. */
export function report(runs: Run[], meta: { started: string; options: string }): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>premiere burst report</title>
<style>body{font-family:system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem;color:#1d1d1f}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.25rem .6rem;text-align:right}td:first-child,th:first-child{text-align:left}
section{display:grid;grid-template-columns:repeat(auto-fill,minmax(26rem,1fr));gap:.5rem 1rem}section h2,section h3,section table,section p{grid-column:1/-1}figure{margin:0}</style></head><body>
<h1>premiere burst report</h1>
<p>${meta.started} · <code>${meta.options}</code></p>
<table><tr><th></th>${runs.map((r) => html`<th>${r.name}</th>`)}</tr>
${ROWS.map(([label, get]) => html`<tr><td>${label}</td>${runs.map((r) => html`<td>${String(get(r.figures))}</td>`)}</tr>`)}
</table>
${runs.map(section)}
</body></html>`.text;
}

import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { canRunBrowser, launchBrowser } from '@premiere/testing/browser';
import type { Figures } from '../src/figures';
import { Recorder, STEPS, type Sample, type Visit } from '../src/recorder';
import { report, type Run } from '../src/report';
import { exitCode, lastLine, verdict } from '../src/targets';

/**
 * The burst's report and verdict: whether a run met its targets, said at the top of the report,
 * beside each figure and in the JSON; charts a person can read.
 */
const ARTIFACTS = path.resolve(__dirname, '../../test-artifacts/burst-report');

const latency = (p99: number) => ({ count: 100, p50: p99 / 4, p90: p99 / 2, p99 });
/**
 * A run that met every target (the recorded full run's figures, on the 24-seat premiere), from a
 * burst that does not report the estimates' 90th percentile (typed so whether Figures has it or not).
 */
const passing = (): Figures =>
  ({
    visitors: 400,
    purchases: 9,
    seats_sold: 24,
    capacity: 24,
    oversold: 0,
    errors_5xx: 0,
    timeouts: 0,
    legacy: { max_concurrency: 10, limit: 10, utilisation: 0.95, utilisation_seats_left: 0.93 },
    soldout_p99_ms: 109.6,
    status_p99_ms: 12.8,
    out_of_order: 0,
    eta_error_pct: 12.5,
    generator_rps: 185,
    generator_peak_rps: 1416,
    visit_s: 7.1,
    errors_5xx_by_step: Object.fromEntries(STEPS.map((s) => [s, 0])),
    timeouts_by_step: Object.fromEntries(STEPS.map((s) => [s, 0])),
    outcomes: { bought: 9, sold_out: 350, no_seats: 30, gave_up: 11 },
    latency_ms: Object.fromEntries(STEPS.map((s) => [s, latency(40)])),
    elapsed_s: 21.4,
  }) as Omit<Figures, 'eta_error_p90_pct'> as Figures;

const recorder = (): Recorder => {
  const rec = new Recorder();
  // Small counts, so that ticks at quarters of the axis would be fractions (1.25 visitors).
  for (let t = 0; t <= 20; t++) {
    const sample: Sample = {
      t,
      arrived: Math.min(400, t * 40),
      waiting: Math.max(0, 5 - Math.floor(t / 4)),
      inside: Math.min(3, t),
      capacity: 3,
      seatsFree: Math.max(0, 24 - 2 * t),
      visitS: 7,
      sold: Math.min(24, 2 * t),
      legacyInFlight: t % 4,
      legacyBusyMs: t * 2_000,
      requests: t * 300,
      errors5xx: 0,
      timeouts: t > 15 ? 1 : 0,
    };
    rec.samples.push(sample);
  }
  const visit = (i: number): Visit => ({
    arrivedAt: i * 100,
    show: 'last-starfall-premiere',
    place: i + 1,
    firstEstimateS: 3 + i,
    estimatedAt: i * 100,
    joinedAt: i * 100,
    lastWaitingAt: 2_000 + i * 900,
    admittedAt: 3_000 + i * 1_000,
    admissionAt: 2_500 + i * 1_000,
    outcome: i % 5 ? 'bought' : 'let_expire',
    stage: 'paying',
    seats: [`s A${i}`],
  });
  rec.visits.push(...Array.from({ length: 12 }, (_, i) => visit(i)));
  return rec;
};

const runs = (figures: Figures, compare = false): Run[] => [
  { name: 'waiting_room', figures, recorder: recorder() },
  ...(compare
    ? [
        {
          name: 'naive',
          figures: { ...figures, errors_5xx: 4_000, legacy: { ...figures.legacy, max_concurrency: 67 } },
          recorder: recorder(),
        },
      ]
    : []),
];
const META = { started: '2026-12-02T12:00:00.000Z', options: '--preset ci' };

/** The text a reader sees: tags, attributes and the command line (`<code>`) left out. */
const visibleText = (page: string) =>
  page
    .replace(/<style>[\s\S]*?<\/style>/g, '')
    .replace(/<code>[\s\S]*?<\/code>/g, '')
    .replace(/<[^>]*>/g, ' ');

describe('the burst’s verdict', () => {
  it('passes a run that met every target, and says which targets it could not measure', () => {
    const v = verdict(passing());
    expect(v).toEqual({ passed: true, failed: [], not_measured: ['eta_error_p90_pct'], invariants_held: true });
    expect(verdict({ ...passing(), eta_error_p90_pct: 40 } as Figures)).toEqual({
      passed: true,
      failed: [],
      not_measured: [],
      invariants_held: true,
    });
  });

  it('fails a run that missed a target, naming each one, and tells broken invariants from missed targets', () => {
    const slow = { ...passing(), status_p99_ms: 2_500, eta_error_pct: 31, eta_error_p90_pct: 80 } as Figures;
    expect(verdict(slow)).toEqual({
      passed: false,
      failed: ['status_p99_ms', 'eta_error_pct', 'eta_error_p90_pct'],
      not_measured: [],
      invariants_held: true,
    });
    const broken: Figures = {
      ...passing(),
      oversold: 2,
      errors_5xx: 3,
      legacy: { ...passing().legacy, max_concurrency: 11 },
    };
    expect(verdict(broken)).toMatchObject({
      passed: false,
      failed: ['oversold', 'legacy.max_concurrency', 'errors_5xx'],
      invariants_held: false,
    });
    // Not observing the legacy system's concurrency is not evidence that its limit held.
    expect(verdict({ ...passing(), legacy: { ...passing().legacy, max_concurrency: null } })).toMatchObject({
      failed: ['legacy.max_concurrency'],
      invariants_held: false,
    });
  });

  it('puts the verdict in the JSON and fails the process (where asked to) only on broken invariants', () => {
    const slow = { ...passing(), status_p99_ms: 2_500 };
    expect(lastLine(runs(slow), false)).toMatchObject({
      purchases: 9,
      verdict: { passed: false, failed: ['status_p99_ms'], invariants_held: true },
    });
    expect(lastLine(runs(slow), false)).not.toHaveProperty('latency_ms');
    expect(lastLine(runs(passing(), true), true)).toMatchObject({
      waiting_room: { verdict: { passed: true } },
      naive: { verdict: { passed: false, invariants_held: false } },
    });
    expect(exitCode(runs(slow), true)).toBe(0);
    expect(exitCode(runs({ ...passing(), out_of_order: 1 }), true)).toBe(1);
    expect(exitCode(runs({ ...passing(), purchases: 0 }), true)).toBe(1);
    // Only the waiting room's run is held to them: the naive design is there to break them.
    expect(exitCode(runs(passing(), true), true)).toBe(0);
    // Without the CI preset the run reports, and exits 0.
    expect(exitCode(runs({ ...passing(), oversold: 1 }), false)).toBe(0);
  });
});

describe('the burst’s report', () => {
  it('says at the top whether the run passed, and puts each figure beside its target', () => {
    const good = report(runs(passing()), META);
    const top = visibleText(good.slice(0, good.indexOf('<table')));
    expect(top).toMatch(/Passed/);
    expect(top).toMatch(/not measured: wait estimate error, 90th percentile/i);
    const bad = report(runs({ ...passing(), oversold: 2, status_p99_ms: 2_500 }), META);
    const badTop = visibleText(bad.slice(0, bad.indexOf('<table')));
    expect(badTop).toMatch(/Failed/);
    expect(badTop).toMatch(/Seats oversold/);
    expect(badTop).toMatch(/Waiting-room status answer, 99th percentile/);
    // A row per figure: its value, its target, pass or fail.
    const row = (page: string, label: string) =>
      visibleText(`<tr${page.split('<tr').find((r) => r.includes(`<td>${label}</td>`)) ?? ''}`)
        .replace(/\s+/g, ' ')
        .trim();
    expect(row(bad, 'Seats oversold')).toMatch(/^Seats oversold none 2 ✗ failed/);
    expect(row(good, 'Seats oversold')).toMatch(/^Seats oversold none 0 ✓ passed/);
    expect(row(good, 'Wait estimate error, 90th percentile')).toMatch(
      /^Wait estimate error, 90th percentile ≤ 50 % – not measured/,
    );
  });

  it('labels everything in words, not field names', () => {
    for (const page of [report(runs(passing()), META), report(runs(passing(), true), META)]) {
      const text = visibleText(page);
      expect(text.match(/\S*_\S*/g) ?? []).toEqual([]);
    }
  });

  it('ticks count axes at whole numbers', () => {
    const page = report(runs(passing()), META);
    const figures = page.match(/<svg[\s\S]*?<\/svg>/g)!;
    const counts = figures.filter((svg) => !/estimate/i.test(/aria-label="([^"]*)"/.exec(svg)![1]));
    expect(counts.length).toBeGreaterThanOrEqual(6);
    for (const svg of counts) {
      // The y axis's labels: right-aligned numbers left of the axis.
      const ticks = [...svg.matchAll(/<text[^>]*text-anchor="end"[^>]*>([-\d.,]+)<\/text>/g)].map((m) =>
        Number(m[1].replaceAll(',', '')),
      );
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.filter((t) => !Number.isInteger(t))).toEqual([]);
    }
  });
});

// A real browser lays the text out, as whoever opens the report sees it (.ci/run installs Debian's chromium).
const browserTest = canRunBrowser ? describe : describe.skip;
browserTest('the burst’s report in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser(ARTIFACTS);
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('draws each legend beside or below its plot, not over the lines, and inside the figure', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    try {
      const file = path.join(ARTIFACTS, 'report.html');
      writeFileSync(file, report(runs({ ...passing(), oversold: 2 }, true), META));
      await page.goto(`file://${file}`);
      await page.screenshot({ path: path.join(ARTIFACTS, 'report.png'), fullPage: true });
      const figures = await page.$$eval('svg', (svgs) =>
        svgs.map((svg) => {
          const box = (r: DOMRect) => ({ left: r.left, right: r.right, top: r.top, bottom: r.bottom });
          // The plot area: the box the axes enclose.
          const axes = [...svg.querySelectorAll('line[stroke="#999"]')].map((l) => l.getBoundingClientRect());
          const plot = {
            left: Math.min(...axes.map((a) => a.left)),
            right: Math.max(...axes.map((a) => a.right)),
            top: Math.min(...axes.map((a) => a.top)),
            bottom: Math.max(...axes.map((a) => a.bottom)),
          };
          const legend = [...svg.querySelectorAll('.legend > *, text:has(> tspan)')].map((e) =>
            box(e.getBoundingClientRect()),
          );
          return { title: svg.getAttribute('aria-label'), plot, legend, figure: box(svg.getBoundingClientRect()) };
        }),
      );
      expect(figures.length).toBeGreaterThanOrEqual(6);
      const overlap = (a: { left: number; right: number; top: number; bottom: number }, b: typeof a) =>
        a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
      for (const f of figures) {
        expect({ title: f.title, legend: f.legend.length > 0 }).toEqual({ title: f.title, legend: true });
        expect({ title: f.title, overPlot: f.legend.filter((l) => overlap(l, f.plot)) }).toEqual({
          title: f.title,
          overPlot: [],
        });
        expect({
          title: f.title,
          outside: f.legend.filter(
            (l) =>
              l.left < f.figure.left || l.right > f.figure.right || l.top < f.figure.top || l.bottom > f.figure.bottom,
          ),
        }).toEqual({ title: f.title, outside: [] });
      }
    } finally {
      await page.close();
    }
  });
});

import os from 'node:os';
import Hapi from '@hapi/hapi';
import { measure, type Figures } from './measure';
import type { Scenario } from './scenario';
import { catalog } from './scenarios/catalog';
import { runtime } from './scenarios/runtime';

/**
 * `npm run bench -- <scenario> [--duration S] [--connections N] [--rounds R]`
 *
 * Measures each case of the scenario beside a bare hapi route (the baseline) in the same run,
 * alternating baseline and cases for R rounds so both see the same machine, and prints one JSON
 * object as its last line: {"bench", "baseline": {rps, p50_ms, p99_ms}, "cases": {<case>: {…, ratio}}}.
 */
const SCENARIOS: Record<string, Scenario> = { runtime, catalog };

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i === -1) return fallback;
  const value = Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

const mean = (runs: Figures[]): Figures => ({
  rps: Math.round(runs.reduce((s, r) => s + r.rps, 0) / runs.length),
  p50_ms: Math.round((runs.reduce((s, r) => s + r.p50_ms, 0) / runs.length) * 100) / 100,
  p99_ms: Math.round((runs.reduce((s, r) => s + r.p99_ms, 0) / runs.length) * 100) / 100,
});

async function main() {
  const name = process.argv[2];
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`usage: npm run bench -- <scenario> [--duration S] [--connections N] [--rounds R]; scenarios: ${Object.keys(SCENARIOS).join(', ')}`);
  const opts = { durationS: option('duration', 5), connections: option('connections', 50) };
  const rounds = option('rounds', 3);

  const bare = Hapi.server({ port: 0, host: '127.0.0.1' });
  bare.route({ method: 'GET', path: '/bare', handler: () => ({ ok: true }) });
  await bare.start();
  const { cases, teardown } = await scenario.setup();

  process.stderr.write(`bench ${name}: ${rounds} round(s) of ${opts.durationS}s per case, ${opts.connections} connections\n`);
  const runs: Record<string, Figures[]> = { baseline: [] };
  try {
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(`round ${round}/${rounds}\n`);
      runs.baseline.push(await measure('baseline (bare hapi)', { url: `http://127.0.0.1:${bare.info.port}/bare` }, opts));
      for (const [caseName, target] of Object.entries(cases)) {
        (runs[caseName] ??= []).push(await measure(caseName, target, opts));
      }
    }
    const baseline = mean(runs.baseline);
    const report = {
      bench: name,
      baseline,
      cases: Object.fromEntries(
        Object.keys(cases).map((c) => {
          // Each round's case against the baseline measured just before it, then the median: the
          // machine's drift between rounds cancels out.
          const ratios = runs[c].map((r, i) => r.rps / runs.baseline[i].rps).sort((a, b) => a - b);
          const ratio = ratios[Math.floor(ratios.length / 2)];
          return [c, { ...mean(runs[c]), ratio: Math.round(ratio * 100) / 100 }];
        }),
      ),
      machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, node: process.version },
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await teardown();
    await bare.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(1);
});

import os from 'node:os';
import Hapi from '@hapi/hapi';
import { measure, type Figures } from './measure';
import type { Scenario } from './scenario';
import { catalog } from './scenarios/catalog';
import { runtime } from './scenarios/runtime';
import { protectedZone } from './scenarios/protected-zone';
import { waitingRoom } from './scenarios/waiting-room';

/**
 * `npm run bench -- <scenario> [--duration S] [--connections N] [--rounds R] [--case C]`
 *
 * Measures each case of the scenario beside a bare hapi route (the baseline) in the same run:
 * for each case, the same requests (method, headers, per-request changes) sent by the same load
 * generator to the bare route (answering the case's bytes where the case gives them), then to the
 * case, for R rounds so both see the same machine. The ratio is the case's rate over its
 * baseline's, so the load generator's own per-request work (a new session header per join, reading
 * a 30 KB page) is not counted against the function. Prints one JSON object
 * as its last line: {"bench", "baseline": {rps, p50_ms, p99_ms} (plain GETs), "cases": {<case>:
 * {…, baseline_rps, ratio}}, …the scenario's own figures}.
 */
const SCENARIOS: Record<string, Scenario> = {
  runtime,
  catalog,
  'waiting-room': waitingRoom,
  'protected-zone': protectedZone,
};

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
  if (!scenario)
    throw new Error(
      `usage: npm run bench -- <scenario> [--duration S] [--connections N] [--rounds R] [--case C]; scenarios: ${Object.keys(SCENARIOS).join(', ')}`,
    );
  const opts = { durationS: option('duration', 5), connections: option('connections', 50) };
  const rounds = option('rounds', 3);

  const bare = Hapi.server({ port: 0, host: '127.0.0.1' });
  bare.route({ method: ['GET', 'POST'], path: '/bare', handler: () => ({ ok: true }) });
  const setup = await scenario.setup();
  const { teardown } = setup;
  // --case <name>: only that case (e.g. to profile it), without the scenario's one-off figures.
  const only = process.argv.indexOf('--case');
  const cases =
    only === -1
      ? setup.cases
      : Object.fromEntries(Object.entries(setup.cases).filter(([c]) => c === process.argv[only + 1]));
  if (Object.keys(cases).length === 0)
    throw new Error(`no case "${process.argv[only + 1]}"; cases: ${Object.keys(setup.cases).join(', ')}`);
  for (const [caseName, { baselineAnswer: answer }] of Object.entries(cases)) {
    if (answer)
      bare.route({
        method: ['GET', 'POST'],
        path: `/bare/${caseName}`,
        handler: (_r, h) => h.response(answer.body).type(answer.type),
      });
  }
  await bare.start();

  process.stderr.write(
    `bench ${name}: ${rounds} round(s) of ${opts.durationS}s per case, ${opts.connections} connections\n`,
  );
  const bareUrl = `http://127.0.0.1:${bare.info.port}/bare`;
  const runs: Record<string, Figures[]> = { baseline: [] };
  const baselines: Record<string, Figures[]> = {};
  try {
    for (let round = 1; round <= rounds; round++) {
      process.stderr.write(`round ${round}/${rounds}\n`);
      runs.baseline.push(await measure('baseline (bare hapi)', { url: bareUrl }, opts));
      for (const [caseName, target] of Object.entries(cases)) {
        const plain = !target.method && !target.headers && !target.setupRequest && !target.baselineAnswer;
        const url = target.baselineAnswer ? `${bareUrl}/${caseName}` : bareUrl;
        (baselines[caseName] ??= []).push(
          plain
            ? runs.baseline[runs.baseline.length - 1]
            : await measure(`baseline for ${caseName}`, { ...target, url, expectStatus: 200 }, opts),
        );
        (runs[caseName] ??= []).push(await measure(caseName, target, opts));
      }
    }
    const figures = only === -1 ? ((await setup.figures?.()) ?? {}) : {};
    const baseline = mean(runs.baseline);
    const report = {
      bench: name,
      baseline,
      cases: Object.fromEntries(
        Object.keys(cases).map((c) => {
          // Each round's case against the baseline measured just before it, then the median: the
          // machine's drift between rounds cancels out.
          const ratios = runs[c].map((r, i) => r.rps / baselines[c][i].rps).sort((a, b) => a - b);
          const ratio = ratios[Math.floor(ratios.length / 2)];
          return [c, { ...mean(runs[c]), baseline_rps: mean(baselines[c]).rps, ratio: Math.round(ratio * 100) / 100 }];
        }),
      ),
      ...figures,
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

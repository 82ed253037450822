import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './helm';

/**
 * chart:check's Knative layer: helm/check/knative, a small Go program that runs Knative Serving's
 * and Eventing's own admission-webhook logic (strict decoding, SetDefaults, Validate with the
 * config each webhook attaches) on every Knative object of a rendering, and builds each
 * Service's revision pod as serving does. Built here with `go build`, which Go's build cache
 * makes a no-op when nothing changed (a cold build: README, "Checking the chart").
 */
export const KNATIVE_CHECK_DIR = path.join(ROOT, 'helm/check/knative');
const BINARY = path.join(KNATIVE_CHECK_DIR, 'bin/knative-check');

export interface KnativeReport {
  problems: { kind: string; name: string; problem: string }[];
  /** Every Knative object as the webhooks leave it (defaulted). */
  objects: Record<string, any>[];
  /** Each Knative Service's revision pod, as serving's dry-run sends it to the API server. */
  pods: { service: string; pod: Record<string, any> }[];
}

/** go from $GO, PATH or /usr/local/go/bin; undefined when none. */
export function findGo(): string | undefined {
  const candidates = [
    process.env.GO,
    ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'go')),
    '/usr/local/go/bin/go',
  ];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

export interface KnativeCheck {
  run(rendering: string): KnativeReport;
  /** The oldest Kubernetes the compiled-in Knative runs on (knative.dev/pkg's version check), e.g. "1.34.0". */
  minimumKubernetes: string;
}

/** knative.dev/pkg's `defaultMinimumVersion = "v1.34.0"` (version/version.go), without the v. */
export function minimumKubernetesOf(versionGo: string): string {
  const m = /defaultMinimumVersion\s*=\s*"v?([0-9][^"]*)"/.exec(versionGo);
  if (!m)
    throw new Error(
      'knative.dev/pkg version/version.go names no defaultMinimumVersion: has Knative moved its version check?',
    );
  return m[1];
}

/** Builds the checker (a cache hit when unchanged) and finds the modules whose ConfigMaps it reads. */
export function buildKnativeCheck(): KnativeCheck {
  const go = findGo();
  if (!go)
    throw new Error(
      'go not found: chart:check builds its Knative layer (helm/check/knative) with Go ≥ 1.25 — install it (https://go.dev/dl) or put it on PATH (.ci/run installs it)',
    );
  // Knative v1.22's modules need Go 1.25; Go ≥ 1.21 fetches that toolchain itself when allowed to.
  const version = execFileSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' }).trim();
  const [major, minor] = (version.match(/^go(\d+)\.(\d+)/) ?? []).slice(1).map(Number);
  if (!(major > 1 || minor >= 21))
    throw new Error(
      `${go} is ${version}: chart:check's Knative layer needs Go ≥ 1.25 (≥ 1.21 fetches it by itself) — https://go.dev/dl`,
    );
  const env = { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'auto' };
  const inModule = {
    cwd: KNATIVE_CHECK_DIR,
    env,
    encoding: 'utf8' as const,
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
  };
  execFileSync(go, ['build', '-o', BINARY, '.'], inModule);
  // The webhooks' ConfigMaps come from the very module versions compiled in (go.mod).
  const [serving, eventing, pkg] = execFileSync(
    go,
    ['list', '-m', '-f', '{{.Dir}}', 'knative.dev/serving', 'knative.dev/eventing', 'knative.dev/pkg'],
    inModule,
  )
    .trim()
    .split('\n');
  return {
    minimumKubernetes: minimumKubernetesOf(readFileSync(path.join(pkg, 'version/version.go'), 'utf8')),
    run(rendering) {
      // Objects go to the namespace `helm template` renders for (default), as a release there would.
      const out = execFileSync(BINARY, ['-serving', serving, '-eventing', eventing, '-namespace', 'default'], {
        input: rendering,
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      return JSON.parse(out) as KnativeReport;
    },
  };
}

/** The report's problems as chart:check prints them. */
export function knativeProblems(report: KnativeReport): string[] {
  return report.problems.map((p) => `${p.kind} ${p.name}: ${p.problem} (Knative layer)`);
}

import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { findGo, type KnativeReport } from './knative';

/**
 * The Kubernetes API server's create path on every core object of a rendering (helm/check/kube, a
 * Go program importing k8s.io/kubernetes): defaulting, conversion, the registry strategies'
 * validation. It catches what no schema states (a selector that does not match its labels,
 * requests above limits, ports out of range, bad names). Its first build compiles much of
 * Kubernetes (tens of minutes on two busy cores), so it runs in `chart:check -- --full` only.
 */
export const KUBE_CHECK_DIR = path.join(__dirname, '../kube');
export const KUBE_CHECK_BIN = path.join(KUBE_CHECK_DIR, 'bin/kube-check');

export interface KubeReport {
  checked: number;
  /** Kinds the API server does not validate itself (Knative, Prometheus operator), by group/kind. */
  skipped: Record<string, number>;
  problems: { kind: string; name: string; problem: string }[];
  warnings: { kind: string; name: string; warning: string }[];
}

/** `go build` the check: a cache hit (seconds) when neither its code nor Go's cache changed. */
export function buildKubeCheck(): string {
  try {
    const go = findGo();
    if (!go) throw new Error('go not found: install Go ≥ 1.25 or put it on PATH');
    execFileSync(go, ['build', '-o', KUBE_CHECK_BIN, '.'], {
      cwd: KUBE_CHECK_DIR,
      env: { ...process.env, GOTOOLCHAIN: process.env.GOTOOLCHAIN ?? 'auto' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  } catch (err) {
    throw new Error(
      `could not build helm/check/kube with Go (go build in ${KUBE_CHECK_DIR}): ${(err as Error).message.split('\n')[0]}`,
    );
  }
  return KUBE_CHECK_BIN;
}

export function kubeCheckBuilt(): boolean {
  return existsSync(KUBE_CHECK_BIN);
}

/** Every core object of a multi-document YAML through the create path, in the given namespace. */
export function kubeCreate(manifests: string, namespace = 'premiere', bin = KUBE_CHECK_BIN): KubeReport {
  const out = execFileSync(bin, ['-namespace', namespace], {
    input: manifests,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return JSON.parse(out) as KubeReport;
}

/**
 * Each Knative Service's revision pod through the create path, as serving's dry-run sends it to the
 * API server before it takes the Service: what the webhooks leave to Kubernetes (requests above
 * limits, …) is refused here. Named after its Service.
 */
export function kubeCreateRevisionPods(knative: KnativeReport, bin = KUBE_CHECK_BIN): KubeReport {
  const pods = knative.pods.map(({ service, pod }) =>
    YAML.stringify({ ...pod, metadata: { name: `${service}-revision-pod` } }),
  );
  return kubeCreate(pods.join('---\n'), 'default', bin);
}

/** Problems as chart:check prints them: `Kind name: problem`. */
export function kubeProblems(report: KubeReport): string[] {
  // A warning is what the API server lets through but says is wrong (a fractional byte quantity,
  // a deprecated field): a problem here, as in the Knative layer.
  return [
    ...report.problems.map((p) => `${p.kind} ${p.name}: ${p.problem}`),
    ...report.warnings.map((w) => `${w.kind} ${w.name}: warning: ${w.warning}`),
  ];
}

/** What the kube-broken fixture must be refused for: one relation or range per object. */
export const KUBE_BROKEN: string[] = [
  'Deployment selector-mismatch: spec.template.metadata.labels: Invalid value',
  'StatefulSet requests-above-limits: spec.template.spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit',
  'Service bad-port: spec.ports[0].port: Invalid value: 70000',
  'Service bad-node-port: spec.ports[0].nodePort: Invalid value: 8080',
  'ConfigMap Bad_Name: metadata.name: Invalid value: "Bad_Name"',
];

/** The expected refusals the report misses, and the problems it has beyond them. */
export function kubeBrokenMisses(report: KubeReport): { missed: string[]; other: string[] } {
  const problems = kubeProblems(report);
  return {
    missed: KUBE_BROKEN.filter((e) => !problems.some((p) => p.startsWith(e))),
    other: problems.filter((p) => !KUBE_BROKEN.some((e) => p.startsWith(e))),
  };
}

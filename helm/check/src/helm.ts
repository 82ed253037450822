import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

/**
 * The repository, the chart, and the Kubernetes version the chart is rendered for: the least
 * Knative v1.22 runs on (cluster-files.ts KNATIVE_MIN_KUBERNETES, which chart:check holds it to).
 */
export const ROOT = path.resolve(__dirname, '../../..');
export const CHART = path.join(ROOT, 'helm/premiere');
export const KUBE_VERSION = '1.34.0';

/** helm from $HELM, PATH or Go's bin (`go install helm.sh/helm/v3/cmd/helm@v3.22.0`); undefined when none. */
export function findHelm(): string | undefined {
  const gopath = (() => {
    try {
      return execFileSync('go', ['env', 'GOPATH'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    } catch {
      return '';
    }
  })();
  for (const candidate of [
    process.env.HELM,
    ...(process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'helm')),
    gopath && path.join(gopath, 'bin/helm'),
  ]) {
    if (candidate && existsSync(candidate)) return candidate;
  }
  return undefined;
}

export function requireHelm(): string {
  const helm = findHelm();
  if (!helm) throw new Error('helm not found: go install helm.sh/helm/v3/cmd/helm@v3.22.0 (or put helm on PATH)');
  return helm;
}

/** Every YAML document of a rendering; a malformed one (e.g. a duplicated key) fails the check. */
export function parseAll(text: string): Record<string, unknown>[] {
  return YAML.parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length) throw new Error(`rendered YAML is malformed: ${d.errors[0].message}`);
      return d.toJS();
    })
    .filter((d) => d && typeof d === 'object');
}

/** `helm template premiere helm/premiere <args>`, parsed. */
export function renderChart(helm: string, args: string[] = []): Record<string, unknown>[] {
  const out = execFileSync(helm, ['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parseAll(out);
}

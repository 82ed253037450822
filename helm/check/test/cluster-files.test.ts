import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { hostPortCollisions, KNATIVE_MIN_KUBERNETES, kubernetesVersionProblems, repoKubernetesVersions } from '../src/cluster-files';
import { ROOT } from '../src/helm';

/** The cluster path's files: the Kubernetes they are for, and the host ports they take. */
const good = { kindNodeImages: ['kindest/node:v1.34.0'], chartKubeVersion: '>=1.34.0-0', renderedFor: '1.34.0', schemas: 'v1.34.0' };

describe('the Kubernetes version, everywhere, is what Knative v1.22 requires', () => {
  it('kind-config.yaml, Chart.yaml, the rendering and the schemas agree with Knative’s minimum', () => {
    expect(kubernetesVersionProblems(repoKubernetesVersions(ROOT))).toEqual([]);
  });

  it('Knative’s minimum is v1.34.0 (knative.dev/pkg version.defaultMinimumVersion)', () => {
    expect(KNATIVE_MIN_KUBERNETES).toBe('1.34.0');
  });

  it('accepts the minimum, a newer kind node (with digest) and a newer patch of the schemas', () => {
    expect(kubernetesVersionProblems(good)).toEqual([]);
    expect(kubernetesVersionProblems({ ...good, kindNodeImages: [`kindest/node:v1.35.1@sha256:${'a'.repeat(64)}`], schemas: 'v1.34.4' })).toEqual([]);
  });

  it('names each file that is for an older Kubernetes (the 1.31 of before)', () => {
    expect(kubernetesVersionProblems({ kindNodeImages: ['kindest/node:v1.31.4'], chartKubeVersion: '>=1.28.0-0', renderedFor: '1.31.0', schemas: 'v1.31.4' })).toEqual([
      'kind-config.yaml: node image kindest/node:v1.31.4 runs Kubernetes v1.31.4, below 1.34.0 (Knative v1.22 needs Kubernetes >= 1.34.0)',
      'Chart.yaml: kubeVersion ">=1.28.0-0" starts at 1.28.0, not 1.34.0 (Knative v1.22 needs Kubernetes >= 1.34.0)',
      'chart:check renders for Kubernetes 1.31.0 (helm.ts KUBE_VERSION), not 1.34.0 (Knative v1.22 needs Kubernetes >= 1.34.0)',
      'chart:check validates against the API of Kubernetes v1.31.4 (schemas.ts KUBERNETES_VERSION), not of 1.34 at or above 1.34.0 (Knative v1.22 needs Kubernetes >= 1.34.0)',
    ]);
  });

  it('refuses a node without an image, a constraint without a floor, schemas of a newer minor', () => {
    expect(kubernetesVersionProblems({ ...good, kindNodeImages: [''] })).toEqual(['kind-config.yaml: node image  is not kindest/node:v<version>']);
    expect(kubernetesVersionProblems({ ...good, chartKubeVersion: '>=1.34.0' })[0]).toMatch(/is not ">=1.34.0-0"/);
    expect(kubernetesVersionProblems({ ...good, chartKubeVersion: '<2.0.0' })[0]).toMatch(/is not ">=1.34.0-0"/);
    expect(kubernetesVersionProblems({ ...good, chartKubeVersion: '>=1.35.0-0' })[0]).toMatch(/starts at 1.35.0, not 1.34.0/);
    expect(kubernetesVersionProblems({ ...good, schemas: 'v1.35.4' })[0]).toMatch(/API of Kubernetes v1.35.4/);
  });
});

describe('skaffold and kind share the host', () => {
  const kind = (hostPort: number) => `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings:
      - { containerPort: 30080, hostPort: ${hostPort}, listenAddress: 127.0.0.1 }
`;
  const skaffold = (forward: string) => `apiVersion: skaffold/v4beta14
kind: Config
portForward:
  - ${forward}
`;

  it('skaffold.yaml forwards to no port kind-config.yaml maps', () => {
    expect(hostPortCollisions(readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8'), readFileSync(path.join(ROOT, 'kind-config.yaml'), 'utf8'))).toEqual([]);
  });

  it('finds a forward to kind’s host port, with or without localPort', () => {
    expect(hostPortCollisions(skaffold('{ resourceType: service, resourceName: premiere-edge, port: 80, localPort: 8080 }'), kind(8080))).toEqual([
      "skaffold.yaml forwards premiere-edge to local port 8080, but kind-config.yaml maps 127.0.0.1:8080 to the node's 30080",
    ]);
    expect(hostPortCollisions(skaffold('{ resourceType: service, resourceName: premiere-edge, port: 8080 }'), kind(8080))).toHaveLength(1);
    expect(hostPortCollisions(skaffold('{ resourceType: service, resourceName: premiere-edge, port: 80, localPort: 9080 }'), kind(8080))).toEqual([]);
  });
});

describe('npm run cluster:up', () => {
  // Fake docker, kind and kubectl: kind tells the version asked for, and every other command
  // stops the script where it would touch a cluster (nothing real is run).
  const run = (kindVersion: string) => {
    const bin = mkdtempSync(path.join(tmpdir(), 'cluster-up-'));
    for (const tool of ['docker', 'kubectl', 'kind']) {
      const version = tool === 'kind' ? `[ "$1" = version ] && { echo "${kindVersion}"; exit 0; }\n` : '';
      writeFileSync(path.join(bin, tool), `#!/bin/sh\n${version}echo "fake ${tool} $*" >&2\nexit 3\n`, { mode: 0o755 });
    }
    const result = spawnSync('bash', [path.join(ROOT, 'k8s/cluster-up.sh')], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` } });
    rmSync(bin, { recursive: true, force: true });
    return result;
  };

  it.each(['kind v0.29.0 go1.24.2 linux/amd64', 'kind v0.11.1 go1.16.4 linux/amd64', 'something else'])('refuses %s before creating a cluster, naming the kind it needs', (version) => {
    const result = run(version);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('needs kind v0.30.0 or newer');
    expect(result.stderr).not.toContain('fake kind create');
  });

  it.each(['kind v0.30.0 go1.24.6 linux/amd64', 'kind v0.31.0-alpha+1a2b3c go1.25.1 linux/arm64', 'kind v1.0.0 go1.26 linux/amd64'])('goes on to create the cluster with %s', (version) => {
    const result = run(version);
    expect(result.stderr).not.toContain('needs kind');
    expect(result.stderr).toContain('fake kind create cluster --config kind-config.yaml');
  });
});

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  hostPortCollisions,
  KNATIVE_MIN_KUBERNETES,
  kubernetesVersionProblems,
  repoKubernetesVersions,
} from '../src/cluster-files';
import { ROOT } from '../src/helm';

/** The cluster path's files: the Kubernetes they are for, and the host ports they take. */
const good = {
  kindNodeImages: ['kindest/node:v1.34.0'],
  chartKubeVersion: '>=1.34.0-0',
  renderedFor: '1.34.0',
  schemas: 'v1.34.0',
};

describe('the Kubernetes version, everywhere, is what Knative v1.22 requires', () => {
  it('kind-config.yaml, Chart.yaml, the rendering and the schemas agree with Knative’s minimum', () => {
    expect(kubernetesVersionProblems(repoKubernetesVersions(ROOT))).toEqual([]);
  });

  it('Knative’s minimum is v1.34.0 (knative.dev/pkg version.defaultMinimumVersion)', () => {
    expect(KNATIVE_MIN_KUBERNETES).toBe('1.34.0');
  });

  it('accepts the minimum, a newer kind node (with digest) and a newer patch of the schemas', () => {
    expect(kubernetesVersionProblems(good)).toEqual([]);
    expect(
      kubernetesVersionProblems({
        ...good,
        kindNodeImages: [`kindest/node:v1.35.1@sha256:${'a'.repeat(64)}`],
        schemas: 'v1.34.4',
      }),
    ).toEqual([]);
  });

  it('names each file that is for an older Kubernetes (the 1.31 of before)', () => {
    expect(
      kubernetesVersionProblems({
        kindNodeImages: ['kindest/node:v1.31.4'],
        chartKubeVersion: '>=1.28.0-0',
        renderedFor: '1.31.0',
        schemas: 'v1.31.4',
      }),
    ).toEqual([
      'kind-config.yaml: node image kindest/node:v1.31.4 runs Kubernetes v1.31.4, below 1.34.0 (Knative v1.22 needs Kubernetes >= 1.34.0)',
      'Chart.yaml: kubeVersion ">=1.28.0-0" starts at 1.28.0, not 1.34.0 (Knative v1.22 needs Kubernetes >= 1.34.0)',
      'chart:check renders for Kubernetes 1.31.0 (helm.ts KUBE_VERSION), not 1.34.0 (Knative v1.22 needs Kubernetes >= 1.34.0)',
      'chart:check validates against the API of Kubernetes v1.31.4 (schemas.ts KUBERNETES_VERSION), not of 1.34 at or above 1.34.0 (Knative v1.22 needs Kubernetes >= 1.34.0)',
    ]);
  });

  it('refuses a node without an image, a constraint without a floor, schemas of a newer minor', () => {
    expect(kubernetesVersionProblems({ ...good, kindNodeImages: [''] })).toEqual([
      'kind-config.yaml: node image  is not kindest/node:v<version>',
    ]);
    expect(kubernetesVersionProblems({ ...good, chartKubeVersion: '>=1.34.0' })[0]).toMatch(/is not ">=1.34.0-0"/);
    expect(kubernetesVersionProblems({ ...good, chartKubeVersion: '<2.0.0' })[0]).toMatch(/is not ">=1.34.0-0"/);
    expect(kubernetesVersionProblems({ ...good, chartKubeVersion: '>=1.35.0-0' })[0]).toMatch(
      /starts at 1.35.0, not 1.34.0/,
    );
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
    expect(
      hostPortCollisions(
        readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8'),
        readFileSync(path.join(ROOT, 'kind-config.yaml'), 'utf8'),
      ),
    ).toEqual([]);
  });

  it('finds a forward to kind’s host port, with or without localPort', () => {
    expect(
      hostPortCollisions(
        skaffold('{ resourceType: service, resourceName: premiere-edge, port: 80, localPort: 8080 }'),
        kind(8080),
      ),
    ).toEqual([
      "skaffold.yaml forwards premiere-edge to local port 8080, but kind-config.yaml maps 127.0.0.1:8080 to the node's 30080",
    ]);
    expect(
      hostPortCollisions(skaffold('{ resourceType: service, resourceName: premiere-edge, port: 8080 }'), kind(8080)),
    ).toHaveLength(1);
    expect(
      hostPortCollisions(
        skaffold('{ resourceType: service, resourceName: premiere-edge, port: 80, localPort: 9080 }'),
        kind(8080),
      ),
    ).toEqual([]);
  });
});

describe('npm run cluster:up', () => {
  // Fake docker, kind and kubectl: kind tells the version asked for (and, given a server version,
  // that the cluster exists), kubectl that server version; every other command stops the script
  // where it would touch a cluster (nothing real is run).
  const run = (kindVersion: string, serverVersion?: string) => {
    const bin = mkdtempSync(path.join(tmpdir(), 'cluster-up-'));
    const answers: Record<string, string> = {
      docker: '',
      kind: `[ "$1" = version ] && { echo "${kindVersion}"; exit 0; }\n${serverVersion ? '[ "$1" = get ] && { echo premiere; exit 0; }\n' : ''}`,
      kubectl: serverVersion
        ? `[ "$1" = config ] && exit 0\n[ "$1" = version ] && { printf '{\\n  "clientVersion": {\\n    "gitVersion": "v1.35.1"\\n  },\\n  "serverVersion": {\\n    "major": "1",\\n    "gitVersion": "${serverVersion}"\\n  }\\n}\\n'; exit 0; }\n`
        : '',
    };
    for (const [tool, answer] of Object.entries(answers)) {
      writeFileSync(path.join(bin, tool), `#!/bin/sh\n${answer}echo "fake ${tool} $*" >&2\nexit 3\n`, { mode: 0o755 });
    }
    const result = spawnSync('bash', [path.join(ROOT, 'k8s/cluster-up.sh')], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}` },
    });
    rmSync(bin, { recursive: true, force: true });
    return result;
  };

  it.each(['kind v0.29.0 go1.24.2 linux/amd64', 'kind v0.11.1 go1.16.4 linux/amd64', 'something else'])(
    'refuses %s before creating a cluster, naming the kind it needs',
    (version) => {
      const result = run(version);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('needs kind v0.30.0 or newer');
      expect(result.stderr).not.toContain('fake kind create');
    },
  );

  it.each([
    'kind v0.30.0 go1.24.6 linux/amd64',
    'kind v0.31.0-alpha+1a2b3c go1.25.1 linux/arm64',
    'kind v1.0.0 go1.26 linux/amd64',
  ])('goes on to create the cluster with %s', (version) => {
    const result = run(version);
    expect(result.stderr).not.toContain('needs kind');
    expect(result.stderr).toContain('fake kind create cluster --config kind-config.yaml');
  });

  it.each(['v1.31.4', 'v1.33.9'])(
    'stops on an existing cluster that runs Kubernetes %s (an older cluster:up made it)',
    (server) => {
      const result = run('kind v0.30.0 go1.24.6 linux/amd64', server);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain(
        `the kind cluster premiere runs Kubernetes ${server}; Knative knative-v1.22.0 needs v1.34.0 or newer: npm run cluster:down, then npm run cluster:up again`,
      );
      expect(result.stderr).not.toContain('fake kubectl apply');
    },
  );

  it('goes on to install Knative on a cluster that runs Kubernetes v1.34.0', () => {
    const result = run('kind v0.30.0 go1.24.6 linux/amd64', 'v1.34.0');
    expect(result.stderr).not.toContain('runs Kubernetes');
    expect(result.stderr).toContain(
      'fake kubectl apply -f https://github.com/knative/serving/releases/download/knative-v1.22.0/serving-crds.yaml',
    );
  });

  it('asks for the Kubernetes version chart:check holds everything to', () => {
    expect(repoKubernetesVersions(ROOT).clusterUp).toBe(`v${KNATIVE_MIN_KUBERNETES}`);
    expect(kubernetesVersionProblems({ ...good, clusterUp: 'v1.31.0' })).toEqual([
      'k8s/versions.env: cluster:up asks for Kubernetes v1.31.0 (KUBERNETES_MIN_VERSION), not 1.34.0 (Knative v1.22 needs Kubernetes >= 1.34.0)',
    ]);
    expect(kubernetesVersionProblems({ ...good, clusterUp: '' })).toHaveLength(1);
  });
});

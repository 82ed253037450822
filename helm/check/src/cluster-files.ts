import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import YAML from 'yaml';
import { KUBE_VERSION } from './helm';
import { KUBERNETES_VERSION } from './schemas';

/** skaffold.yaml against skaffold's own JSON schema (../shared/schemas/skaffold). */
export function skaffoldProblems(file: string, schemaFile: string): string[] {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
  const config = YAML.parse(readFileSync(file, 'utf8'));
  if (config?.apiVersion !== 'skaffold/v4beta14')
    return [`apiVersion is ${config?.apiVersion}, the schema here is skaffold/v4beta14`];
  return validate(config) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** A kind v1alpha4 Cluster, in the fields kind knows (unknown ones fail). */
const kindSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'apiVersion'],
  properties: {
    kind: { const: 'Cluster' },
    apiVersion: { const: 'kind.x-k8s.io/v1alpha4' },
    name: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]*$' },
    featureGates: { type: 'object' },
    runtimeConfig: { type: 'object' },
    networking: { type: 'object' },
    containerdConfigPatches: { type: 'array', items: { type: 'string' } },
    kubeadmConfigPatches: { type: 'array', items: { type: 'string' } },
    nodes: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['role'],
        properties: {
          role: { enum: ['control-plane', 'worker'] },
          image: { type: 'string' },
          labels: { type: 'object' },
          kubeadmConfigPatches: { type: 'array', items: { type: 'string' } },
          extraMounts: { type: 'array' },
          extraPortMappings: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['containerPort', 'hostPort'],
              properties: {
                containerPort: { type: 'integer', minimum: 1, maximum: 65535 },
                hostPort: { type: 'integer', minimum: 1, maximum: 65535 },
                listenAddress: { type: 'string' },
                protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
              },
            },
          },
        },
      },
    },
  },
};

/**
 * kind-config.yaml as a kind config, mapping to the host the edge's NodePort and nothing else: the
 * edge is premiere's one public door (no Kourier gateway, no other NodePort).
 */
export function kindConfigProblems(file: string, edgeNodePort: number): string[] {
  return kindConfigTextProblems(readFileSync(file, 'utf8'), edgeNodePort);
}

export function kindConfigTextProblems(text: string, edgeNodePort: number): string[] {
  const validate = new Ajv({ allErrors: true }).compile(kindSchema);
  const config = YAML.parse(text);
  const problems = validate(config) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
  const mapped: number[] = (config?.nodes ?? [])
    .flatMap((n: { extraPortMappings?: { containerPort: number }[] }) => n.extraPortMappings ?? [])
    .map((m: { containerPort: number }) => m.containerPort);
  if (!mapped.includes(edgeNodePort))
    problems.push(`the edge's NodePort ${edgeNodePort} (edge.service.nodePort) is not mapped to the host`);
  for (const port of mapped.filter((p) => p !== edgeNodePort))
    problems.push(
      `port ${port} is mapped to the host: only the edge's NodePort ${edgeNodePort} may be, the edge is the one public door`,
    );
  return problems;
}

/**
 * The oldest Kubernetes Knative v1.22 runs on: every Serving and Eventing controller and webhook
 * asks the API server its version at start-up and exits below this one (knative.dev/pkg
 * version.defaultMinimumVersion, "v1.34.0" in the knative.dev/pkg that serving and eventing v0.49
 * require; the kn quickstart pins kindest/node:v1.34.0 for it).
 */
export const KNATIVE_MIN_KUBERNETES = '1.34.0';

/** "v1.34.0", "1.34.0-0", "1.34" → [1, 34, 0]; undefined when it is no version. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** Negative, zero or positive as a is below, at or above b (both versions). */
export function compareVersions(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  if (!x || !y) throw new Error(`not a version: ${x ? b : a}`);
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
}

/** What says which Kubernetes the cluster path is for; each must agree with Knative's minimum. */
export interface KubernetesVersions {
  /** The kind nodes' images (kind-config.yaml), e.g. kindest/node:v1.34.0. */
  kindNodeImages: string[];
  /** Chart.yaml's kubeVersion constraint, e.g. ">=1.34.0-0". */
  chartKubeVersion: string;
  /** helm --kube-version in chart:check (helm.ts KUBE_VERSION). */
  renderedFor: string;
  /** The k8s.io/kubernetes release whose OpenAPI documents validate the manifests (schemas.ts). */
  schemas: string;
  /** The least Kubernetes cluster:up accepts on an existing cluster (k8s/versions.env). */
  clusterUp?: string;
}

/**
 * Knative refuses to run below KNATIVE_MIN_KUBERNETES, so: kind's nodes run at least that; the
 * chart's kubeVersion starts exactly there (refusing clusters Knative refuses, accepting every one
 * it runs on; "-0" so that a provider's pre-release suffix like v1.34.2-eks-… counts); the check
 * renders for that cluster and validates against that minor's API (so no field newer than the
 * oldest supported cluster slips in).
 */
export function kubernetesVersionProblems(v: KubernetesVersions, minimum = KNATIVE_MIN_KUBERNETES): string[] {
  const problems: string[] = [];
  const why = `Knative v1.22 needs Kubernetes >= ${minimum}`;
  if (v.kindNodeImages.length === 0)
    problems.push(`kind-config.yaml names no node image: kind's default may be older than ${minimum} (${why})`);
  for (const image of v.kindNodeImages) {
    const tag = /^kindest\/node:(v[^@]+)(@sha256:[0-9a-f]{64})?$/.exec(image)?.[1];
    if (!tag || !parseVersion(tag))
      problems.push(`kind-config.yaml: node image ${image} is not kindest/node:v<version>`);
    else if (compareVersions(tag, minimum) < 0)
      problems.push(`kind-config.yaml: node image ${image} runs Kubernetes ${tag}, below ${minimum} (${why})`);
  }
  const floor = /^>=\s*(\S+?)(-0)?$/.exec(v.chartKubeVersion.trim());
  if (!floor || !floor[2] || !parseVersion(floor[1]))
    problems.push(`Chart.yaml: kubeVersion "${v.chartKubeVersion}" is not ">=${minimum}-0"`);
  else if (compareVersions(floor[1], minimum) !== 0)
    problems.push(`Chart.yaml: kubeVersion "${v.chartKubeVersion}" starts at ${floor[1]}, not ${minimum} (${why})`);
  if (!parseVersion(v.renderedFor) || compareVersions(v.renderedFor, minimum) !== 0)
    problems.push(
      `chart:check renders for Kubernetes ${v.renderedFor} (helm.ts KUBE_VERSION), not ${minimum} (${why})`,
    );
  const schemas = parseVersion(v.schemas);
  const min = parseVersion(minimum)!;
  if (!schemas || schemas[0] !== min[0] || schemas[1] !== min[1] || compareVersions(v.schemas, minimum) < 0) {
    problems.push(
      `chart:check validates against the API of Kubernetes ${v.schemas} (schemas.ts KUBERNETES_VERSION), not of ${min[0]}.${min[1]} at or above ${minimum} (${why})`,
    );
  }
  if (v.clusterUp !== undefined && (!parseVersion(v.clusterUp) || compareVersions(v.clusterUp, minimum) !== 0)) {
    problems.push(
      `k8s/versions.env: cluster:up asks for Kubernetes ${v.clusterUp || '(none)'} (KUBERNETES_MIN_VERSION), not ${minimum} (${why})`,
    );
  }
  return problems;
}

/** The node images kind-config.yaml names. */
export function kindNodeImages(kindConfigText: string): string[] {
  const config = YAML.parse(kindConfigText);
  return (config?.nodes ?? []).map((n: { image?: string }) => n.image ?? '');
}

/**
 * skaffold's port-forwards and kind's host ports on one machine: a local port both want is taken by
 * the kind node first, and skaffold then forwards elsewhere or fails. (A forward without localPort
 * asks for its port.)
 */
export function hostPortCollisions(skaffoldText: string, kindConfigText: string): string[] {
  const kind = YAML.parse(kindConfigText);
  const taken = new Map<number, string>();
  for (const node of kind?.nodes ?? []) {
    for (const m of node.extraPortMappings ?? [])
      taken.set(
        m.hostPort,
        `kind-config.yaml maps ${m.listenAddress ?? '0.0.0.0'}:${m.hostPort} to the node's ${m.containerPort}`,
      );
  }
  const skaffold = YAML.parse(skaffoldText);
  const forwards: { resourceName?: string; port?: number | string; localPort?: number }[] = [
    ...(skaffold?.portForward ?? []),
    ...(skaffold?.profiles ?? []).flatMap((p: { portForward?: unknown[] }) => p.portForward ?? []),
  ];
  return forwards.flatMap((f) => {
    const local = Number(f.localPort ?? f.port);
    return taken.has(local)
      ? [`skaffold.yaml forwards ${f.resourceName ?? '?'} to local port ${local}, but ${taken.get(local)}`]
      : [];
  });
}

/** The repository's own: kind-config.yaml, Chart.yaml, helm.ts, schemas.ts and k8s/versions.env. */
export function repoKubernetesVersions(root: string): KubernetesVersions {
  return {
    kindNodeImages: kindNodeImages(readFileSync(path.join(root, 'kind-config.yaml'), 'utf8')),
    chartKubeVersion: String(
      YAML.parse(readFileSync(path.join(root, 'helm/premiere/Chart.yaml'), 'utf8')).kubeVersion ?? '',
    ),
    renderedFor: KUBE_VERSION,
    schemas: KUBERNETES_VERSION,
    clusterUp:
      /^KUBERNETES_MIN_VERSION=(\S*)$/m.exec(readFileSync(path.join(root, 'k8s/versions.env'), 'utf8'))?.[1] ?? '',
  };
}

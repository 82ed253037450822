import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import YAML from 'yaml';

/** skaffold.yaml against skaffold's own JSON schema (../shared/schemas/skaffold). */
export function skaffoldProblems(file: string, schemaFile: string): string[] {
  const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
  const validate = ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')));
  const config = YAML.parse(readFileSync(file, 'utf8'));
  if (config?.apiVersion !== 'skaffold/v4beta14') return [`apiVersion is ${config?.apiVersion}, the schema here is skaffold/v4beta14`];
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
  const mapped: number[] = (config?.nodes ?? []).flatMap((n: { extraPortMappings?: { containerPort: number }[] }) => n.extraPortMappings ?? []).map((m: { containerPort: number }) => m.containerPort);
  if (!mapped.includes(edgeNodePort)) problems.push(`the edge's NodePort ${edgeNodePort} (edge.service.nodePort) is not mapped to the host`);
  for (const port of mapped.filter((p) => p !== edgeNodePort)) problems.push(`port ${port} is mapped to the host: only the edge's NodePort ${edgeNodePort} may be, the edge is the one public door`);
  return problems;
}

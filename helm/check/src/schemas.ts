import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import YAML from 'yaml';

/**
 * Strict, offline validation of rendered manifests: Knative kinds against the CRDs' OpenAPI
 * schemas in ../shared/schemas, Kubernetes kinds against the API server's own OpenAPI v3 documents
 * (from the k8s.io/kubernetes module, fetched through the Go module proxy). Strict means an object
 * that lists its properties accepts no other (kubeconform's -strict), so an unknown or misspelt
 * field fails. The API is that of the least Kubernetes Knative v1.22 runs on (cluster-files.ts
 * KNATIVE_MIN_KUBERNETES, which chart:check holds it to), so a field newer than it fails too.
 */
export const KUBERNETES_VERSION = 'v1.34.0';

type Schema = Record<string, unknown>;

/** Closes every object schema that lists its properties, unless it keeps unknown fields on purpose. */
export function strictify(schema: unknown): void {
  if (Array.isArray(schema)) return schema.forEach(strictify);
  if (!schema || typeof schema !== 'object') return;
  const s = schema as Schema;
  if (s.properties && s.additionalProperties === undefined && !s['x-kubernetes-preserve-unknown-fields'])
    s.additionalProperties = false;
  for (const v of Object.values(s)) strictify(v);
}

const ajv = () => new Ajv({ strict: false, validateFormats: false, allErrors: true });

export interface Validator {
  /** Errors of one manifest, or [] when it is valid; null when no schema knows its kind. */
  validate(doc: Record<string, unknown>): string[] | null;
}

function explain(fn: ValidateFunction): string[] {
  return (fn.errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties'
        ? `: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}"`
        : '';
    return `${e.instancePath || '/'} ${e.message}${extra}`;
  });
}

/** The Knative CRDs: apiVersion → kind → validator. */
function knativeValidators(schemasDir: string): Map<string, ValidateFunction> {
  const out = new Map<string, ValidateFunction>();
  const a = ajv();
  for (const dir of ['knative-serving', 'knative-eventing']) {
    for (const file of readdirSync(path.join(schemasDir, dir)).filter((f) => f.endsWith('.yaml'))) {
      const crd = YAML.parse(readFileSync(path.join(schemasDir, dir, file), 'utf8'));
      for (const version of crd.spec.versions) {
        const schema = structuredClone(version.schema?.openAPIV3Schema);
        if (!schema) continue;
        strictify(schema);
        // Every object has these, whether or not its CRD lists them.
        Object.assign(schema.properties as Schema, {
          apiVersion: { type: 'string' },
          kind: { type: 'string' },
          metadata: { type: 'object' },
        });
        out.set(`${crd.spec.group}/${version.name} ${crd.spec.names.kind}`, a.compile(schema));
      }
    }
  }
  return out;
}

/** Where the Kubernetes OpenAPI v3 documents are: $KUBERNETES_OPENAPI_DIR, or the Go module. */
export function kubernetesOpenApiDir(): string {
  if (process.env.KUBERNETES_OPENAPI_DIR) return process.env.KUBERNETES_OPENAPI_DIR;
  let out: string;
  try {
    out = execFileSync('go', ['mod', 'download', '-json', `k8s.io/kubernetes@${KUBERNETES_VERSION}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new Error(
      `the Kubernetes API schemas come from the Go module k8s.io/kubernetes@${KUBERNETES_VERSION}: install Go, or set KUBERNETES_OPENAPI_DIR (${(err as Error).message.split('\n')[0]})`,
    );
  }
  const dir = path.join(JSON.parse(out).Dir, 'api/openapi-spec/v3');
  if (!existsSync(dir)) throw new Error(`no OpenAPI v3 documents in ${dir}`);
  return dir;
}

/** The Kubernetes kinds: one OpenAPI document per group/version, its kinds by x-kubernetes-group-version-kind. */
function kubernetesValidators(openApiDir: string): Map<string, () => ValidateFunction> {
  const out = new Map<string, () => ValidateFunction>();
  for (const file of readdirSync(openApiDir).filter((f) => /^apis?__.+_openapi\.json$/.test(f))) {
    const doc = JSON.parse(readFileSync(path.join(openApiDir, file), 'utf8'));
    const schemas = doc.components?.schemas ?? {};
    let compiled: Ajv | undefined;
    for (const [name, schema] of Object.entries<Schema>(schemas)) {
      for (const gvk of (schema['x-kubernetes-group-version-kind'] as
        { group: string; version: string; kind: string }[] | undefined) ?? []) {
        const apiVersion = gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version;
        const key = `${apiVersion} ${gvk.kind}`;
        if (out.has(key) || !file.includes(gvk.group ? `__${gvk.group}__${gvk.version}_` : `__${gvk.version}_`))
          continue;
        out.set(key, () => {
          if (!compiled) {
            compiled = ajv();
            const all = structuredClone(doc.components);
            strictify(all);
            compiled.addSchema({ $id: 'k8s', components: all });
          }
          return compiled.getSchema(`k8s#/components/schemas/${name}`)!;
        });
      }
    }
  }
  return out;
}

/** Kinds whose CRDs we do not have: a strict schema of the part we use, kept in helm/check/schemas. */
function extraValidators(): Map<string, ValidateFunction> {
  const dir = path.resolve(__dirname, '../schemas');
  const a = ajv();
  const load = (file: string) => a.compile(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
  return new Map([
    ['monitoring.coreos.com/v1 PodMonitor', load('podmonitor.json')],
    ['monitoring.coreos.com/v1 PrometheusRule', load('prometheusrule.json')],
  ]);
}

export function createValidator(options: { schemasDir: string; openApiDir: string }): Validator {
  const knative = new Map([...knativeValidators(options.schemasDir), ...extraValidators()]);
  const kubernetes = kubernetesValidators(options.openApiDir);
  const cache = new Map<string, ValidateFunction>();
  return {
    validate(doc) {
      const key = `${doc.apiVersion} ${doc.kind}`;
      let fn = knative.get(key) ?? cache.get(key);
      if (!fn) {
        const make = kubernetes.get(key);
        if (!make) return null;
        cache.set(key, (fn = make()));
      }
      return fn(doc) ? [] : explain(fn);
    },
  };
}

/**
 * The shared schemas (the Knative CRDs, skaffold's JSON schema): $PREMIERE_SCHEMAS_DIR, else the
 * shared/ folder beside the checkout (../shared/schemas), where the project's machines keep it.
 */
export function sharedSchemasDir(root: string, env: NodeJS.ProcessEnv = process.env): string {
  return env.PREMIERE_SCHEMAS_DIR || path.resolve(root, '../shared/schemas');
}

/** What chart:check reads there. */
export const SHARED_SCHEMAS = ['knative-serving', 'knative-eventing', 'skaffold/v4beta14.json'];

/** Throws, saying where the shared schemas are looked for and how to point elsewhere, when any is missing. */
export function requireSharedSchemas(dir: string, env: NodeJS.ProcessEnv = process.env): void {
  const missing = SHARED_SCHEMAS.filter((p) => !existsSync(path.join(dir, p)));
  if (!missing.length) return;
  const where = env.PREMIERE_SCHEMAS_DIR
    ? `PREMIERE_SCHEMAS_DIR (${dir})`
    : `${dir}, the shared/schemas folder beside this checkout`;
  throw new Error(
    `the Knative CRDs and skaffold's schema are not in ${where} (missing: ${missing.join(', ')}): ` +
      'put the checkout beside shared/ (as ../shared/schemas), or set PREMIERE_SCHEMAS_DIR to a folder holding knative-serving/, knative-eventing/ and skaffold/v4beta14.json',
  );
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAll } from './helm';

/**
 * Generated credentials that outlive a reinstall. A value the chart draws (randAlphaNum, …) is
 * drawn anew by every `helm install`; a consumer that keeps state keeps the old one: PostgreSQL
 * applies POSTGRES_PASSWORD only at initdb and its volume survives `helm uninstall`, tokens signed
 * with the old keys are in visitors' hands, a function's database and Redis outlive its pods. So
 * the rule: every generated credential whose consumer keeps state is kept, both
 * - on upgrade: its template reads the Secret back (`lookup`) and draws only what is missing, and
 * - on uninstall: the Secret carries `helm.sh/resource-policy: keep`, so a reinstall finds it.
 * Generated values are found by rendering twice: what differs was drawn.
 */
type Doc = Record<string, any>;

export const KEEP_ANNOTATION = 'helm.sh/resource-policy';

const isSecret = (d: Doc) => d?.apiVersion === 'v1' && d?.kind === 'Secret';
const nameOf = (d: Doc) => `${d.kind} ${d.metadata?.name ?? '?'}`;

/** A Secret's values by key, whether written as data or stringData (decoded). */
function secretValues(d: Doc): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries<string>(d.data ?? {})) out[k] = Buffer.from(String(v), 'base64').toString('utf8');
  for (const [k, v] of Object.entries<string>(d.stringData ?? {})) out[k] = String(v);
  return out;
}

/** Secret name → the keys whose values differ between two renderings of the same values. */
export function generatedKeys(first: Doc[], second: Doc[]): Map<string, string[]> {
  const again = new Map(second.filter(isSecret).map((d) => [d.metadata?.name as string, secretValues(d)]));
  const out = new Map<string, string[]>();
  for (const d of first.filter(isSecret)) {
    const before = secretValues(d);
    const after = again.get(d.metadata?.name) ?? {};
    const drawn = Object.keys(before).filter((k) => before[k] !== after[k]);
    if (drawn.length) out.set(d.metadata.name, drawn.sort());
  }
  return out;
}

/** The pod spec of a workload (Deployment, StatefulSet, Job, Knative Service, …) or a Pod. */
function podSpecOf(d: Doc): Doc | undefined {
  if (d?.kind === 'Pod') return d.spec;
  return d?.spec?.template?.spec ?? d?.spec?.jobTemplate?.spec?.template?.spec;
}

/** The Secrets a pod spec reads (env, envFrom, volumes, projected volumes). */
function secretsRead(spec: Doc): Set<string> {
  const names = new Set<string>();
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef?.name) names.add(e.valueFrom.secretKeyRef.name);
    for (const e of c.envFrom ?? []) if (e.secretRef?.name) names.add(e.secretRef.name);
  }
  for (const v of spec.volumes ?? []) {
    if (v.secret?.secretName) names.add(v.secret.secretName);
    for (const s of v.projected?.sources ?? []) if (s.secret?.name) names.add(s.secret.name);
  }
  return names;
}

/** The environment variables that connect a workload to a store that outlives its pods. */
const STORES = ['DATABASE_URL', 'REDIS_URL'];

/**
 * Why a workload keeps state (undefined when it keeps none): its pods have volumes that outlive
 * them (a StatefulSet's claims, a PersistentVolumeClaim), or it writes to a database or Redis.
 */
export function keepsState(d: Doc): string | undefined {
  const spec = podSpecOf(d);
  if (!spec) return undefined;
  if ((d.spec?.volumeClaimTemplates ?? []).length) return 'its volumes outlive its pods and helm uninstall';
  if ((spec.volumes ?? []).some((v: Doc) => v.persistentVolumeClaim)) return 'it mounts a PersistentVolumeClaim';
  const env = (spec.containers ?? []).flatMap((c: Doc) => c.env ?? []).map((e: Doc) => e.name);
  const store = STORES.find((s) => env.includes(s));
  return store ? `what it keeps in ${store} outlives its pods` : undefined;
}

/**
 * Every generated Secret with a consumer that keeps state must carry the keep annotation, and its
 * template must read it back (`lookup`, so an upgrade reuses it: `helm template` cannot run the
 * lookup, so this looks for it in the template's text; credentials.test.ts runs it, against a
 * stand-in API server holding the Secrets). `sourceOf` gives a Secret's template path.
 */
export function keptCredentialProblems(
  first: Doc[],
  second: Doc[],
  sourceOf: (secret: string) => string | undefined,
  templateText: (path: string) => string,
): string[] {
  const problems: string[] = [];
  for (const [secret, keys] of generatedKeys(first, second)) {
    const doc = first.find((d) => isSecret(d) && d.metadata?.name === secret)!;
    const stateful = first
      .filter((d) => podSpecOf(d) && secretsRead(podSpecOf(d)!).has(secret))
      .map((d) => [nameOf(d), keepsState(d)] as const)
      .filter(([, why]) => why);
    if (!stateful.length) continue;
    // Named by the strongest reason first (a volume), the others counted.
    stateful.sort(([, a], [, b]) => Number(b!.startsWith('its volumes')) - Number(a!.startsWith('its volumes')));
    const consumers = `${stateful[0][0]} (${stateful[0][1]})${stateful.length > 1 ? ` and ${stateful.length - 1} more consumer(s) that keep state` : ''}`;
    if (doc.metadata?.annotations?.[KEEP_ANNOTATION] !== 'keep') {
      problems.push(
        `Secret ${secret}: generates ${keys.join(', ')} for ${consumers}, but lacks ${KEEP_ANNOTATION}: keep (a reinstall would draw new values)`,
      );
    }
    const source = sourceOf(secret);
    const text = source ? templateText(source) : '';
    if (!/lookup\s+"v1"\s+"Secret"/.test(text))
      problems.push(
        `Secret ${secret}: its template ${source ?? '(unknown)'} does not read it back (lookup "v1" "Secret"): an upgrade would draw new values`,
      );
  }
  return problems;
}

/** `# Source: <chart>/templates/<file>` of each rendered document, by kind and name. */
export function renderedSources(rendering: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of rendering.split(/^---\s*$/m)) {
    const source = /^# Source: [^/\n]+\/(.+)$/m.exec(part)?.[1];
    const kind = /^kind: (\S+)$/m.exec(part)?.[1];
    const name = /^metadata:\n(?:\s+.*\n)*?\s{2}name: (\S+)$/m.exec(part)?.[1];
    if (source && kind && name) out.set(`${kind} ${name.replace(/^["']|["']$/g, '')}`, source);
  }
  return out;
}

/** The rule on the chart rendered twice with `args` by `render` (helm template's output). */
export function chartCredentialProblems(
  render: (args: string[]) => string,
  args: string[],
  chartDir: string,
): string[] {
  const first = render(args);
  const sources = renderedSources(first);
  return keptCredentialProblems(
    parseAll(first),
    parseAll(render(args)),
    (s) => sources.get(`Secret ${s}`),
    (p) => readFileSync(path.join(chartDir, p), 'utf8'),
  );
}

import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { CHART, findHelm, renderChart, ROOT } from '../src/helm';

/**
 * docs/operations.md's "Install on a cluster you already have" names what an operator will see and
 * set: every name in it must be one the chart renders (release premiere, namespace premiere), every
 * value key one values.yaml has, every Knative setting one this repository sets or checks, the
 * example `kubectl get ksvc,trigger,broker` exactly the chart's objects. So the walk-through cannot
 * drift from the chart. Needs helm: skipped without it, except under CI (CI=true).
 */
type Doc = Record<string, any>;

const TITLE = '## Install on a cluster you already have';
function section(): string {
  const doc = readFileSync(path.join(ROOT, 'docs/operations.md'), 'utf8');
  const start = doc.indexOf(`${TITLE}\n`);
  if (start < 0) throw new Error(`docs/operations.md has no "${TITLE}"`);
  const end = doc.indexOf('\n## ', start + TITLE.length);
  return doc.slice(start, end < 0 ? undefined : end);
}
/** Inline code spans (`…`), outside the fenced example. */
const codeSpans = (text: string) =>
  [...text.replace(/```[\s\S]*?```/g, '').matchAll(/`([^`]+)`/g)].map((m) => m[1].replace(/\s+/g, ' '));
/** A markdown table's rows (cells trimmed) after the header line that starts with `header`. */
function tableRows(text: string, header: string): string[][] {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(header));
  if (at < 0) throw new Error(`no table "${header}"`);
  const rows: string[][] = [];
  for (const l of lines.slice(at + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}
const spansOf = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

const values = YAML.parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8'));
const schema = JSON.parse(readFileSync(path.join(CHART, 'values.schema.json'), 'utf8'));

/** Whether a dotted values path exists in values.yaml; a `<name>` segment stands for any key of a map. */
function valueExists(key: string): boolean {
  let node: unknown = values;
  for (const part of key.split('.')) {
    if (!node || typeof node !== 'object' || Array.isArray(node)) return false;
    if (/^<.+>$/.test(part)) {
      const children = Object.values(node as object);
      node = children.length ? children[0] : {};
      continue;
    }
    if (!(part in (node as object))) return false;
    node = (node as Record<string, unknown>)[part];
  }
  return true;
}
/** A code span that reads as a values path (its first segment a top-level key of values.yaml), with its value if written `key: value`. */
function valueKeys(spans: string[]): { key: string; value?: string }[] {
  return spans
    .map((s) => /^([a-z][A-Za-z]*(?:\.[A-Za-z<>-]+)+)(?:: (.+))?$/.exec(s))
    .filter((m): m is RegExpExecArray => m !== null && m[1].split('.')[0] in values)
    .map((m) => ({ key: m[1], value: m[2] }));
}

describe('the walk-through’s own words', () => {
  const text = section();

  it('names value keys values.yaml has, with values the schema allows', () => {
    const keys = valueKeys(codeSpans(text));
    expect(keys.map((k) => k.key)).toEqual(
      expect.arrayContaining([
        'events.authentication',
        'broker.class',
        'broker.config',
        'networkPolicies.enabled',
        'edge.service.type',
        'migrations.waitSeconds',
      ]),
    );
    for (const { key } of keys) expect([key, valueExists(key)]).toEqual([key, true]);
    const authModes: string[] = schema.properties.events.properties.authentication.enum;
    for (const { value } of keys.filter((k) => k.key === 'events.authentication' && k.value))
      expect(authModes).toContain(value);
  });

  it('lists every broker class the chart takes, and only those', () => {
    const classes = new Set(tableRows(text, '| `broker.class` |').map((r) => spansOf(r[0])[0]));
    expect([...classes].sort()).toEqual([...schema.properties.broker.properties.class.enum].sort());
  });

  it('names Knative settings this repository sets or relies on, and every one cluster:up sets', () => {
    const ours = [
      readFileSync(path.join(ROOT, 'k8s/cluster-up.sh'), 'utf8'),
      ...['knative-rules.ts', 'scale-to-zero.ts'].map((f) => readFileSync(path.join(__dirname, '../src', f), 'utf8')),
    ].join('\n');
    const rows = tableRows(text, '| ConfigMap | key |');
    const keys = rows.flatMap((r) => spansOf(r[1]));
    for (const key of keys) expect([key, ours.includes(key)]).toEqual([key, true]);
    for (const r of rows) expect(spansOf(r[0])[1]).toMatch(/^knative-(serving|eventing)$/);
    const setByClusterUp = [
      ...readFileSync(path.join(ROOT, 'k8s/cluster-up.sh'), 'utf8').matchAll(
        /configmap\/[\s\S]*?"data":\{"([a-z.-]+)":/g,
      ),
    ].map((m) => m[1]);
    expect(setByClusterUp.length).toBeGreaterThan(0);
    for (const key of setByClusterUp) expect(keys).toContain(key);
  });

  it('gives the Knative release k8s/versions.env pins', () => {
    const pinned = readFileSync(path.join(ROOT, 'k8s/versions.env'), 'utf8');
    const release = /`(knative-v[0-9.]+)`/.exec(text)?.[1];
    expect(pinned).toContain(`KNATIVE_SERVING_VERSION=${release}`);
    expect(pinned).toContain(`KNATIVE_EVENTING_VERSION=${release}`);
  });
});

const helm = findHelm();
(helm || process.env.CI ? describe : describe.skip)('the walk-through against the chart', () => {
  const text = section();
  const docs = renderChart(helm!, ['--namespace', 'premiere']) as Doc[];
  const names = new Set(docs.map((d) => d.metadata?.name as string));
  const ofKind = (apiVersion: string, kind: string) =>
    docs.filter((d) => d.apiVersion === apiVersion && d.kind === kind);

  it('names only objects the chart renders (a revision by its Knative Service)', () => {
    const named = new Set([...text.matchAll(/\bpremiere-[a-z0-9-]*[a-z0-9]/g)].map((m) => m[0].replace(/-\d{5}$/, '')));
    expect(named.size).toBeGreaterThan(10);
    for (const name of named) expect([name, names.has(name)]).toEqual([name, true]);
  });

  it('shows `kubectl get ksvc,trigger,broker` with exactly the chart’s functions, Triggers and Broker', () => {
    const example = /\$ kubectl get ksvc,trigger,broker -n premiere\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
    const rows = example
      .split('\n')
      .filter((l) => /^[a-z.]+\/\S/.test(l))
      .map((l) => l.split(/\s+/));
    const shown = (type: string) => rows.filter((r) => r[0].startsWith(`${type}/`));
    const sorted = (xs: string[]) => [...xs].sort();

    const ksvc = shown('service.serving.knative.dev');
    expect(sorted(ksvc.map((r) => r[0].split('/')[1]))).toEqual(
      sorted(ofKind('serving.knative.dev/v1', 'Service').map((d) => d.metadata.name)),
    );
    for (const r of ksvc) {
      const name = r[0].split('/')[1];
      expect(r.slice(1, 5)).toEqual([
        `http://${name}.premiere.svc.cluster.local`,
        expect.stringMatching(new RegExp(`^${name}-\\d{5}$`)),
        expect.stringMatching(new RegExp(`^${name}-\\d{5}$`)),
        'True',
      ]);
    }

    const triggers = shown('trigger.eventing.knative.dev');
    const rendered = ofKind('eventing.knative.dev/v1', 'Trigger');
    expect(sorted(triggers.map((r) => r[0].split('/')[1]))).toEqual(sorted(rendered.map((d) => d.metadata.name)));
    for (const r of triggers) {
      const t = rendered.find((d) => d.metadata.name === r[0].split('/')[1])!;
      expect([r[1], r[2], r[4]]).toEqual([
        t.spec.broker,
        `http://${t.spec.subscriber.ref.name}.premiere.svc.cluster.local${t.spec.subscriber.uri}`,
        'True',
      ]);
    }

    const brokers = shown('broker.eventing.knative.dev');
    expect(brokers.map((r) => r[0].split('/')[1])).toEqual(
      ofKind('eventing.knative.dev/v1', 'Broker').map((d) => d.metadata.name),
    );
    expect(
      brokers.every(
        (r) =>
          r[1] === `http://broker-ingress.knative-eventing.svc.cluster.local/premiere/${r[0].split('/')[1]}` &&
          r[3] === 'True',
      ),
    ).toBe(true);
  });

  it('counts the PingSources as the chart renders them', () => {
    const words = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
    const said = /the (\w+) PingSources/.exec(text)?.[1];
    expect(words.indexOf(said ?? '')).toBe(ofKind('sources.knative.dev/v1', 'PingSource').length);
  });

  it('says what the chart does to the functions: cluster-local, the SinkBinding, the migration hook', () => {
    expect(text.replace(/\s+/g, ' ')).toContain('`networking.knative.dev/visibility: cluster-local`');
    expect(
      ofKind('serving.knative.dev/v1', 'Service').every(
        (d) => d.metadata.labels['networking.knative.dev/visibility'] === 'cluster-local',
      ),
    ).toBe(true);
    expect(ofKind('sources.knative.dev/v1', 'SinkBinding').map((d) => d.metadata.name)).toEqual([
      'premiere-functions-to-broker',
    ]);
    const job = docs.find((d) => d.kind === 'Job' && d.metadata.name === 'premiere-migrations');
    expect(job?.metadata.annotations['helm.sh/hook']).toContain('post-install');
    expect(text).toContain('`post-install` hook');
  });
});

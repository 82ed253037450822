import { readFileSync } from 'node:fs';
import path from 'node:path';
import { knativeServiceProblems } from '../src/knative-rules';
import { buildKnativeCheck, findGo, knativeProblems, type KnativeCheck } from '../src/knative';
import { KNATIVE_BROKEN, knativeFixtureMustFail } from '../src/main';
import { parseAll } from '../src/helm';

/**
 * chart:check's Knative layer (helm/check/knative): Knative's own webhook logic catches what the
 * schemas and the TypeScript rules do not. Needs Go: skipped without it, except under CI
 * (CI=true), where it fails. The first build on a machine is slow (README, "Checking the chart").
 */
const go = findGo();
(go || process.env.CI ? describe : describe.skip)('the Knative layer', () => {
  let knative: KnativeCheck;
  beforeAll(() => {
    knative = buildKnativeCheck();
  }, 30 * 60_000);

  const fixture = readFileSync(path.join(__dirname, '../fixtures/knative-broken.yaml'), 'utf8');

  it('catches each problem of the broken fixture, and chart:check would throw if it did not', () => {
    const caught = knativeProblems(knative.run(fixture));
    for (const expected of KNATIVE_BROKEN) expect(caught.filter((p) => p.startsWith(expected))).toHaveLength(1);
    expect(() => knativeFixtureMustFail(knative)).not.toThrow();
    expect(() => knativeFixtureMustFail({ run: () => ({ problems: [], objects: [], pods: [] }) })).toThrow(/the Knative fixture was not caught/);
  });

  it('is the only layer that sees min-scale above max-scale, the cron, the relative URI and the broker config (the reserved env both see)', () => {
    const docs = parseAll(fixture);
    const service = docs.find((d) => d.kind === 'Service')!;
    expect(knativeServiceProblems(service).filter((p) => p.includes('K_CONFIGURATION'))).toHaveLength(1);
    expect(knativeServiceProblems(service).filter((p) => /scale/.test(p))).toEqual([]);
    for (const doc of docs.filter((d) => d.kind !== 'Service')) expect(knativeServiceProblems(doc)).toEqual([]);
  });

  it('admits a valid Service, defaults it, and builds its revision pod as serving does', () => {
    const report = knative.run(`apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: hello }
spec:
  template:
    spec:
      containers:
        - image: example
          securityContext: { runAsNonRoot: true, allowPrivilegeEscalation: false, capabilities: { drop: [ALL] }, seccompProfile: { type: RuntimeDefault } }
`);
    expect(report.problems).toEqual([]);
    expect(report.objects[0].spec.template.spec.timeoutSeconds).toBe(300);
    const [container] = report.pods[0].pod.spec.containers;
    expect(container.name).toBe('user-container');
    expect(container.env).toContainEqual({ name: 'PORT', value: '8080' });
  });

  it('refuses unknown fields, as the webhooks decode', () => {
    const report = knative.run('apiVersion: sources.knative.dev/v1\nkind: PingSource\nmetadata: { name: p }\nspec: { schedule: "* * * * *", scheduel: x, sink: { uri: "http://x.example" } }\n');
    expect(report.problems.map((p) => p.problem)).toEqual([expect.stringContaining('unknown field "scheduel"')]);
  });
});

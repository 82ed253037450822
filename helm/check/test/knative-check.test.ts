import { readFileSync } from 'node:fs';
import path from 'node:path';
import { knativeServiceProblems } from '../src/knative-rules';
import { KNATIVE_MIN_KUBERNETES } from '../src/cluster-files';
import { buildKnativeCheck, findGo, knativeProblems, minimumKubernetesOf, type KnativeCheck } from '../src/knative';
import { KNATIVE_BROKEN, knativeFixtureMustFail } from '../src/main';
import { CHART, findHelm, KUBE_VERSION, parseAll } from '../src/helm';
import { execFileSync } from 'node:child_process';

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
    expect(() =>
      knativeFixtureMustFail({ run: () => ({ problems: [], objects: [], pods: [] }), minimumKubernetes: '1.34.0' }),
    ).toThrow(/the Knative fixture was not caught/);
  });

  it('reads the oldest Kubernetes it runs on from the Knative compiled in, which is the floor chart:check holds the repo to', () => {
    expect(knative.minimumKubernetes).toBe(KNATIVE_MIN_KUBERNETES);
    expect(minimumKubernetesOf('const (\n\tdefaultMinimumVersion = "v1.35.2"\n)')).toBe('1.35.2');
    expect(() => minimumKubernetesOf('package version')).toThrow(/no defaultMinimumVersion/);
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
    const report = knative.run(
      'apiVersion: sources.knative.dev/v1\nkind: PingSource\nmetadata: { name: p }\nspec: { schedule: "* * * * *", scheduel: x, sink: { uri: "http://x.example" } }\n',
    );
    expect(report.problems.map((p) => p.problem)).toEqual([expect.stringContaining('unknown field "scheduel"')]);
  });
});

const helm = findHelm();
/** Defect 5: a broker class that needs its own config must not be left with Eventing's default. */
((go && helm) || process.env.CI ? describe : describe.skip)('the broker class and its config', () => {
  let knative: KnativeCheck;
  beforeAll(() => {
    knative = buildKnativeCheck();
  }, 30 * 60_000);
  const broker = (klass: string, config?: Record<string, string>) => `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: b, annotations: { eventing.knative.dev/broker.class: ${klass} } }
spec: ${JSON.stringify(config ? { config } : {})}
`;
  const render = (args: string[]) =>
    execFileSync(helm!, ['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, ...args], { encoding: 'utf8' });

  it('the channel-based broker may take Eventing’s default; Kafka and RabbitMQ may not', () => {
    expect(knative.run(broker('MTChannelBasedBroker')).problems).toEqual([]);
    for (const klass of ['Kafka', 'RabbitMQBroker']) {
      expect(knative.run(broker(klass)).problems.map((p) => p.problem)).toEqual([
        expect.stringContaining('knative-eventing/config-br-default-channel'),
      ]);
    }
    expect(
      knative
        .run(broker('RabbitMQBroker', { apiVersion: 'v1', kind: 'ConfigMap', name: 'x' }))
        .problems.map((p) => p.problem),
    ).toEqual([expect.stringContaining('needs spec.config of kind')]);
  });

  it('the chart gives the Kafka broker its own ConfigMap, and RabbitMQ the one named', () => {
    const kafka = knative.run(render(['--set', 'broker.class=Kafka']));
    expect(kafka.problems).toEqual([]);
    expect(kafka.objects.find((o) => o.kind === 'Broker')!.spec.config).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'kafka-broker-config',
      namespace: 'knative-eventing',
    });
    const rabbit = knative.run(
      render([
        '--set',
        'broker.class=RabbitMQBroker',
        '--set',
        'broker.config.apiVersion=eventing.knative.dev/v1alpha1',
        '--set',
        'broker.config.kind=RabbitmqBrokerConfig',
        '--set',
        'broker.config.name=premiere-rabbitmq',
      ]),
    );
    expect(rabbit.problems).toEqual([]);
    expect(() => render(['--set', 'broker.class=RabbitMQBroker'])).toThrow(
      /broker.config is required with broker.class RabbitMQBroker/,
    );
  });
});

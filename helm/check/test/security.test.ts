import { readFileSync } from 'node:fs';
import path from 'node:path';
import { kindConfigTextProblems } from '../src/cluster-files';
import { findHelm, parseAll, renderChart, ROOT } from '../src/helm';
import {
  deadLetterSinkProblems,
  deliveryAudienceProblems,
  eventAuthProblems,
  publicServiceProblems,
  securityProblems,
  serviceAccountProblems,
} from '../src/security';

/**
 * The cluster's doors: the edge is the one public entry (every function cluster-local, kind maps
 * only the edge), functions are reached only through Knative's data plane, and every event
 * delivery carries a token for the audience its function verifies.
 */
type Doc = Record<string, any>;

const fn = (
  name: string,
  {
    labels = {},
    env,
    automount,
  }: { labels?: Record<string, string>; env?: { name: string; value?: string }[]; automount?: boolean } = {},
): Doc => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name, labels: { 'premiere.dev/function': name.replace(/^premiere-/, ''), ...labels } },
  spec: {
    template: {
      spec: {
        ...(automount === undefined ? {} : { automountServiceAccountToken: automount }),
        containers: [
          {
            name: 'c',
            image: 'i',
            env: env ?? [
              { name: 'EVENT_AUTH', value: 'oidc' },
              { name: 'EVENT_AUTH_AUDIENCE', value: `serving.knative.dev/service/premiere/${name}` },
              { name: 'EVENT_AUTH_SUBJECT_PREFIX', value: 'system:serviceaccount:premiere:' },
              { name: 'EVENT_AUTH_ISSUER', value: 'https://kubernetes.default.svc.cluster.local' },
            ],
          },
        ],
      },
    },
  },
});
const trigger = (name: string, to: string, audience?: string): Doc => ({
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Trigger',
  metadata: { name },
  spec: {
    broker: 'b',
    subscriber: {
      ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: to },
      uri: '/events',
      ...(audience ? { audience } : {}),
    },
  },
});
const ping = (name: string, to: string, audience?: string): Doc => ({
  apiVersion: 'sources.knative.dev/v1',
  kind: 'PingSource',
  metadata: { name },
  spec: {
    schedule: '* * * * *',
    sink: {
      ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: to },
      uri: '/events',
      ...(audience ? { audience } : {}),
    },
  },
});
const audienceOf = (name: string) => `serving.knative.dev/service/premiere/${name}`;

describe('a Knative Service must be cluster-local (the edge is the one public door)', () => {
  it('refuses a function without cluster-local visibility, or with another one', () => {
    expect(publicServiceProblems(fn('premiere-reserve-seat'))).toEqual([
      'is public (label networking.knative.dev/visibility: absent): every Knative Service must be cluster-local, the edge is the one public door',
    ]);
    expect(
      publicServiceProblems(fn('premiere-reserve-seat', { labels: { 'networking.knative.dev/visibility': 'public' } })),
    ).toHaveLength(1);
  });

  it('accepts a cluster-local one, and ignores what is not a Knative Service', () => {
    expect(
      publicServiceProblems(
        fn('premiere-reserve-seat', { labels: { 'networking.knative.dev/visibility': 'cluster-local' } }),
      ),
    ).toEqual([]);
    expect(publicServiceProblems({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'premiere-edge' } })).toEqual(
      [],
    );
  });

  it('the doors fixture fails for its doors (chart:check requires it to)', () => {
    const docs = parseAll(readFileSync(path.join(__dirname, '../fixtures/public-function.yaml'), 'utf8'));
    expect(securityProblems(docs)).toEqual([
      'Service premiere-reserve-seat: is public (label networking.knative.dev/visibility: absent): every Knative Service must be cluster-local, the edge is the one public door',
      'Trigger premiere-orders-payment-approved: spec.subscriber.audience is "serving.knative.dev/service/premiere/premiere-process-payment", not premiere-reserve-seat\'s EVENT_AUTH_AUDIENCE "serving.knative.dev/service/premiere/premiere-reserve-seat"',
      'PingSource premiere-reserve-seat-hold-expiry: spec.sink.audience is absent, not premiere-reserve-seat\'s EVENT_AUTH_AUDIENCE "serving.knative.dev/service/premiere/premiere-reserve-seat"',
      'Trigger premiere-orders-payment-approved: spec.delivery.deadLetterSink is {"ref":{"apiVersion":"serving.knative.dev/v1","kind":"Service","name":"premiere-reserve-seat"},"uri":"/dead-letters"}, not admit-batch\'s /dead-letters',
    ]);
  });
});

describe("every Trigger's and the Broker's dead letters go to the store, with its audience", () => {
  const store = fn('premiere-admit-batch');
  const withSink = (doc: Doc, deadLetterSink?: Doc): Doc => ({
    ...doc,
    spec: { ...doc.spec, ...(deadLetterSink ? { delivery: { retry: 5, deadLetterSink } } : {}) },
  });
  const broker = (deadLetterSink?: Doc): Doc =>
    withSink(
      { apiVersion: 'eventing.knative.dev/v1', kind: 'Broker', metadata: { name: 'b' }, spec: {} },
      deadLetterSink,
    );
  const toStore = (over: Doc = {}) => ({
    ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'premiere-admit-batch' },
    uri: '/dead-letters',
    audience: audienceOf('premiere-admit-batch'),
    ...over,
  });

  it("accepts admit-batch's /dead-letters with its audience, or an operator's sink by URI", () => {
    expect(
      deadLetterSinkProblems([
        store,
        broker(toStore()),
        withSink(trigger('t', 'premiere-admit-batch'), toStore()),
        withSink(trigger('u', 'premiere-admit-batch'), { uri: 'https://dlq.example/sink' }),
      ]),
    ).toEqual([]);
  });

  it('refuses none, another function or path, a missing or wrong audience, a relative URI alone', () => {
    expect(
      deadLetterSinkProblems([
        store,
        fn('premiere-reserve-seat'),
        broker(),
        withSink(
          trigger('t1', 'premiere-admit-batch'),
          toStore({ ref: { apiVersion: 'serving.knative.dev/v1', kind: 'Service', name: 'premiere-reserve-seat' } }),
        ),
        withSink(trigger('t2', 'premiere-admit-batch'), toStore({ uri: '/events' })),
        withSink(trigger('t3', 'premiere-admit-batch'), toStore({ audience: undefined })),
        withSink(trigger('t4', 'premiere-admit-batch'), toStore({ audience: audienceOf('premiere-reserve-seat') })),
        withSink(trigger('t5', 'premiere-admit-batch'), { uri: '/dead-letters' }),
      ]).map((p) => p.split(':')[0]),
    ).toEqual(['Broker b', 'Trigger t1', 'Trigger t2', 'Trigger t3', 'Trigger t4', 'Trigger t5']);
  });
});

describe('every function verifies the events posted to it', () => {
  it('accepts the contract: EVENT_AUTH, its own audience, an https issuer', () => {
    expect(eventAuthProblems(fn('premiere-reserve-seat'))).toEqual([]);
  });

  it('refuses a function without them, with a wrong mode, audience or issuer, or with one twice', () => {
    expect(eventAuthProblems(fn('premiere-reserve-seat', { env: [] }))).toEqual([
      'env EVENT_AUTH is set 0 times, not once',
      'env EVENT_AUTH_AUDIENCE is set 0 times, not once',
      'env EVENT_AUTH_SUBJECT_PREFIX is set 0 times, not once',
      'env EVENT_AUTH_ISSUER is set 0 times, not once',
    ]);
    expect(
      eventAuthProblems(
        fn('premiere-reserve-seat', {
          env: [
            { name: 'EVENT_AUTH', value: 'off' },
            { name: 'EVENT_AUTH_AUDIENCE', value: audienceOf('premiere-process-payment') },
            { name: 'EVENT_AUTH_SUBJECT_PREFIX', value: '' },
            { name: 'EVENT_AUTH_ISSUER', value: 'http://kubernetes.default.svc.cluster.local' },
            { name: 'EVENT_AUTH_ISSUER', value: 'https://kubernetes.default.svc.cluster.local' },
          ],
        }),
      ),
    ).toEqual([
      'env EVENT_AUTH is "off", not oidc or none',
      'env EVENT_AUTH_AUDIENCE is "serving.knative.dev/service/premiere/premiere-process-payment", not serving.knative.dev/service/<namespace>/premiere-reserve-seat',
      'env EVENT_AUTH_SUBJECT_PREFIX is "", not system:serviceaccount:<its namespace>: (only our Triggers and PingSources)',
      'env EVENT_AUTH_ISSUER is set 2 times, not once',
    ]);
  });

  it("refuses a function that cannot read the cluster's keys (no service-account token)", () => {
    expect(eventAuthProblems(fn('premiere-reserve-seat', { automount: false }))).toEqual([
      "automountServiceAccountToken is false, but the function reads the cluster's keys with its service-account token",
    ]);
  });
});

describe("every function can read the cluster's keys", () => {
  const asAccount = (account: string) => {
    const d = fn('premiere-reserve-seat');
    d.spec.template.spec.serviceAccountName = account;
    return d;
  };
  const account = (name: string, automount?: boolean): Doc => ({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name },
    ...(automount === undefined ? {} : { automountServiceAccountToken: automount }),
  });

  it('refuses a service account that does not mount its token', () => {
    expect(serviceAccountProblems([asAccount('quiet'), account('quiet', false)])).toEqual([
      "Service premiere-reserve-seat: runs as ServiceAccount quiet, which does not mount its token: the function could not read the cluster's keys",
    ]);
  });

  it('accepts one that does', () => {
    expect(serviceAccountProblems([asAccount('functions'), account('functions', true)])).toEqual([]);
  });
});

describe('every Trigger and PingSource asks for the audience of the function it delivers to', () => {
  const functions = [fn('premiere-reserve-seat'), fn('premiere-process-payment')];

  it('accepts the right audiences', () => {
    expect(
      deliveryAudienceProblems([
        ...functions,
        trigger('t', 'premiere-reserve-seat', audienceOf('premiere-reserve-seat')),
        ping('p', 'premiere-process-payment', audienceOf('premiere-process-payment')),
      ]),
    ).toEqual([]);
  });

  it("refuses a missing audience, another function's, and a destination that is not a function", () => {
    expect(
      deliveryAudienceProblems([
        ...functions,
        trigger('t1', 'premiere-reserve-seat'),
        trigger('t2', 'premiere-reserve-seat', audienceOf('premiere-process-payment')),
        ping('p1', 'premiere-nobody', audienceOf('premiere-nobody')),
      ]),
    ).toEqual([
      'Trigger t1: spec.subscriber.audience is absent, not premiere-reserve-seat\'s EVENT_AUTH_AUDIENCE "serving.knative.dev/service/premiere/premiere-reserve-seat"',
      'Trigger t2: spec.subscriber.audience is "serving.knative.dev/service/premiere/premiere-process-payment", not premiere-reserve-seat\'s EVENT_AUTH_AUDIENCE "serving.knative.dev/service/premiere/premiere-reserve-seat"',
      "PingSource p1: spec.sink is not one of the chart's functions",
    ]);
  });
});

describe('kind maps the edge and nothing else to the host', () => {
  it('kind-config.yaml maps only the edge', () => {
    const values = readFileSync(path.join(ROOT, 'helm/premiere/values.yaml'), 'utf8');
    const nodePort = Number(/nodePort: (\d+)/.exec(values)?.[1]);
    expect(kindConfigTextProblems(readFileSync(path.join(ROOT, 'kind-config.yaml'), 'utf8'), nodePort)).toEqual([]);
  });

  it("refuses a mapping of Kourier's gateway", () => {
    const config = `kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
nodes:
  - role: control-plane
    extraPortMappings:
      - { containerPort: 31080, hostPort: 80 }
      - { containerPort: 30080, hostPort: 8080 }
`;
    expect(kindConfigTextProblems(config, 30080)).toEqual([
      "port 31080 is mapped to the host: only the edge's NodePort 30080 may be, the edge is the one public door",
    ]);
  });
});

// What the chart renders (helm is installed wherever chart:check runs; CI installs it before the tests).
const helm = findHelm();
(helm || process.env.CI ? describe : describe.skip)('what the chart renders', () => {
  const scenarios: Record<string, string[]> = {
    defaults: [],
    'event authentication off': ['--set', 'events.authentication=none'],
  };

  it.each(Object.entries(scenarios))('%s: every function cluster-local, every delivery authenticated', (_, args) => {
    const docs = renderChart(helm!, args);
    expect(securityProblems(docs)).toEqual([]);
    expect(docs.filter((d: Doc) => d.apiVersion === 'serving.knative.dev/v1' && d.kind === 'Service')).toHaveLength(5);
    expect(docs.filter((d: Doc) => d.kind === 'Trigger' || d.kind === 'PingSource').length).toBeGreaterThan(0);
    // The functions run as their own account, which mounts its token (the cluster's keys are read with it).
    const accounts = new Set(
      docs
        .filter((d: Doc) => d.kind === 'Service' && d.apiVersion === 'serving.knative.dev/v1')
        .map((d: Doc) => d.spec.template.spec.serviceAccountName),
    );
    expect([...accounts]).toEqual(['premiere-functions']);
    expect(
      docs.find((d: Doc) => d.kind === 'ServiceAccount' && d.metadata.name === 'premiere-functions')
        ?.automountServiceAccountToken,
    ).toBe(true);
  });

  it('EVENT_AUTH follows events.authentication, the issuer events.issuer', () => {
    const env = (docs: Doc[], name: string) =>
      docs
        .filter((d) => d.kind === 'Service' && d.apiVersion === 'serving.knative.dev/v1')
        .map((d) => d.spec.template.spec.containers[0].env.find((e: { name: string }) => e.name === name)?.value);
    const defaults = renderChart(helm!);
    expect(new Set(env(defaults, 'EVENT_AUTH'))).toEqual(new Set(['oidc']));
    expect(new Set(env(defaults, 'EVENT_AUTH_ISSUER'))).toEqual(
      new Set(['https://kubernetes.default.svc.cluster.local']),
    );
    const custom = renderChart(helm!, [
      '--set',
      'events.authentication=none',
      '--set',
      'events.issuer=https://oidc.example/cluster',
      '--namespace',
      'tickets',
    ]);
    expect(new Set(env(custom, 'EVENT_AUTH'))).toEqual(new Set(['none']));
    expect(new Set(env(custom, 'EVENT_AUTH_ISSUER'))).toEqual(new Set(['https://oidc.example/cluster']));
    expect(env(custom, 'EVENT_AUTH_AUDIENCE')).toContain('serving.knative.dev/service/tickets/premiere-reserve-seat');
  });

  it("functions accept traffic only from Knative's data plane, on the queue-proxy's ports, and may call out (JWKS)", () => {
    const policies = renderChart(helm!).filter((d: Doc) => d.kind === 'NetworkPolicy');
    const forFunctions = policies.filter(
      (p: Doc) =>
        JSON.stringify(p.spec.podSelector).includes('premiere.dev/function') &&
        !p.spec.podSelector.matchLabels?.['app.kubernetes.io/component'],
    );
    expect(forFunctions).toHaveLength(1);
    const [policy] = forFunctions;
    expect(policy.spec.podSelector).toEqual({
      matchExpressions: [{ key: 'premiere.dev/function', operator: 'Exists' }],
    });
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    const rules = policy.spec.ingress.map((r: Doc) => ({
      from: r.from.map((f: Doc) => f.namespaceSelector.matchLabels['kubernetes.io/metadata.name']),
      ports: r.ports.map((p: Doc) => p.port),
      podSelectors: r.from.filter((f: Doc) => f.podSelector).length,
    }));
    expect(rules).toEqual([
      { from: ['kourier-system'], ports: [8012, 8112], podSelectors: 0 },
      { from: ['knative-serving'], ports: [8012, 8112, 9090], podSelectors: 0 },
    ]);
    // No policy of the chart restricts egress: functions reach the API server, the broker and the backing services.
    expect(policies.filter((p: Doc) => (p.spec.policyTypes ?? []).includes('Egress'))).toEqual([]);
  });

  it('the edge keeps each visitor’s own address (the per-address limits count it): no SNAT to a node’s', () => {
    const edgeService = (args: string[]) =>
      renderChart(helm!, args).find(
        (d: Doc) => d.kind === 'Service' && d.apiVersion === 'v1' && d.metadata.name === 'premiere-edge',
      );
    expect(edgeService([]).spec.externalTrafficPolicy).toBe('Local');
    expect(edgeService(['--set', 'edge.service.type=LoadBalancer']).spec.externalTrafficPolicy).toBe('Local');
    expect(edgeService(['--set', 'edge.service.type=ClusterIP']).spec.externalTrafficPolicy).toBeUndefined(); // not allowed there
  });
});

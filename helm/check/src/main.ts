import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadEventing, loadRoutes } from '@premiere/local-stack/declarations';
import {
  hostPortCollisions,
  KNATIVE_MIN_KUBERNETES,
  kindConfigProblems,
  kubernetesVersionProblems,
  repoKubernetesVersions,
  skaffoldProblems,
} from './cluster-files';
import { chartCredentialProblems } from './credentials';
import { CHART, KUBE_VERSION, ROOT, parseAll, requireHelm } from './helm';
import { knativeServiceProblems } from './knative-rules';
import { buildKnativeCheck, knativeProblems, type KnativeCheck } from './knative';
import { monitoringProblems } from './monitoring';
import { scaleToZeroProblems } from './scale-to-zero';
import { buildKubeCheck, kubeBrokenMisses, kubeCreate, kubeCreateRevisionPods, kubeProblems } from './kube-check';
import { nginxConfigProblems } from './nginx';
import { edgeParity, eventingParity } from './parity';
import { describeRefusal, refusalSays, type Refusal } from './refusals';
import {
  createValidator,
  kubernetesOpenApiDir,
  requireSharedSchemas,
  sharedSchemasDir,
  type Validator,
} from './schemas';
import { securityProblems } from './security';

/**
 * `npm run chart:check`: the chart's checks without a cluster — helm lint, helm template for every
 * documented combination of values, every rendered manifest strictly validated against the
 * Kubernetes and Knative schemas, Knative's own webhook logic on every Knative object (knative.ts,
 * helm/check/knative), the rules Knative's webhook enforces, the doors (every function
 * cluster-local, every event delivery authenticated: security.ts), and fixtures that must fail (so a
 * check that passes everything cannot go unnoticed). With `--full`, also every core object through
 * the Kubernetes API server's create path (kube-check.ts; its first build is long).
 */
const SCHEMAS = sharedSchemasDir(ROOT);

/** The documented combinations of values (README, docs/operations.md), each rendered and checked. */
export const SCENARIOS: Record<string, string[]> = {
  defaults: [],
  // The Kafka broker's own ConfigMap (knative-eventing/kafka-broker-config), or one of the operator's.
  'kafka broker': ['--set', 'broker.class=Kafka'],
  'kafka broker, own config': [
    '--set',
    'broker.class=Kafka',
    '--set',
    'broker.config.apiVersion=v1',
    '--set',
    'broker.config.kind=ConfigMap',
    '--set',
    'broker.config.name=premiere-kafka',
    '--set',
    'broker.config.namespace=kafka',
  ],
  // Not on Knative's list of brokers with sender identity: documented with authentication off.
  'rabbitmq broker': [
    '--set',
    'broker.class=RabbitMQBroker',
    '--set',
    'events.authentication=none',
    '--set',
    'broker.config.apiVersion=eventing.knative.dev/v1alpha1',
    '--set',
    'broker.config.kind=RabbitmqBrokerConfig',
    '--set',
    'broker.config.name=premiere-rabbitmq',
  ],
  'external databases and secrets': [
    '--set',
    'postgresql.existingSecret=premiere-db',
    '--set',
    'redis.existingSecret=premiere-redis',
    '--set',
    'secrets.existingSecret=premiere-keys',
  ],
  'simulators off': [
    '--set',
    'simulators.enabled=false',
    '--set',
    'legacy.url=https://seats.cinema.example',
    '--set',
    'payment.url=https://api.payments.example',
    '--set',
    'payment.existingSecret=premiere-payments',
  ],
  // With the network policies on (the default): Prometheus in namespace monitoring reaches each function's own port.
  'PodMonitor and network policies on': ['--set', 'metrics.podMonitor.enabled=true'],
  'PodMonitor and alerts on': [
    '--set',
    'metrics.podMonitor.enabled=true',
    '--set',
    'metrics.podMonitor.labels.release=prometheus',
    '--set',
    'metrics.prometheusRule.enabled=true',
    '--set',
    'metrics.prometheusRule.labels.release=prometheus',
  ],
  'dead letters to the operator’s own sink': ['--set', 'broker.deadLetters.uri=https://dead-letters.example/sink'],
  'network policies off': ['--set', 'networkPolicies.enabled=false'],
  'behind a load balancer': [
    '--set',
    'edge.service.type=LoadBalancer',
    '--set',
    'edge.trustedProxies={10.0.0.0/8,2001:db8::/32}',
  ],
  'behind a TLS ingress': ['--set', 'edge.forwardedProto=https'],
  'event authentication off': ['--set', 'events.authentication=none'],
  'another token issuer': ['--set', 'events.issuer=https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE'],
  'Redis replicated behind Sentinel': ['--set', 'redis.replication.enabled=true'],
  'Redis replicated on 5 machines': [
    '--set',
    'redis.replication.enabled=true',
    '--set',
    'redis.replication.replicas=5',
    '--set',
    'redis.replication.quorum=3',
    '--set',
    'redis.replication.antiAffinity=hard',
  ],
  'Redis replicated, network policies off': [
    '--set',
    'redis.replication.enabled=true',
    '--set',
    'networkPolicies.enabled=false',
  ],
};

/**
 * Values that must be refused, and what the refusal must say: a template's own message, or the
 * value that values.schema.json refuses (and words when the value alone does not say what is
 * wrong), in the wording of every helm the README supports (refusals.ts).
 */
export const REFUSED: [string[], Refusal][] = [
  [['--set', 'functions.issue-token.minScale=-1'], { value: 'functions.issue-token.minScale' }],
  [['--set', 'broker.class=NoSuchBroker'], { value: 'broker.class' }],
  [
    ['--set', 'broker.klass=Kafka'],
    { value: 'broker', words: /additional propert(y|ies) '?klass'? (is )?not allowed/i },
  ],
  [['--set', 'edge.trustedProxies={everyone}'], { value: 'edge.trustedProxies.0' }],
  [['--set', 'edge.forwardedProto=HTTPS'], { value: 'edge.forwardedProto' }],
  [['--set', 'edge.service.externalTrafficPolicy=Nearest'], { value: 'edge.service.externalTrafficPolicy' }],
  [['--set', 'postgresql.bundled=false'], 'postgresql.existingSecret is required'],
  [['--set', 'simulators.legacyCinema.overload=explode'], { value: 'simulators.legacyCinema.overload' }],
  [
    ['--set', 'simulators.enabled=false', '--set', 'payment.url=https://api.payments.example'],
    'legacy.url is required',
  ],
  [
    ['--set', 'simulators.enabled=false', '--set', 'legacy.url=https://seats.cinema.example'],
    'payment.url is required',
  ],
  [['--set', 'events.authentication=maybe'], { value: 'events.authentication', words: /one of .*oidc.*none/ }],
  [['--set', 'events.authentication=false'], { value: 'events.authentication' }],
  [['--set', 'events.issuer=http://kubernetes.default.svc.cluster.local'], { value: 'events.issuer' }],
  [['--set', 'events.issuer='], { value: 'events.issuer' }],
  // A function may not opt out of the events.* settings through its own env. (helm from 3.18.5
  // names a wrong place for this one, a different one from run to run: only the words are asked.)
  [
    ['--set', 'functions.reserve-seat.env.EVENT_AUTH=none'],
    { words: /propertyName 'EVENT_AUTH'|Property name of "EVENT_AUTH"/ },
  ],
  [['--set', 'broker.deadLetters.uri=dead-letters.example'], { value: 'broker.deadLetters.uri' }],
  // RabbitMQ has no default config; Eventing's would be the in-memory channel's.
  [
    ['--set', 'broker.class=RabbitMQBroker', '--set', 'events.authentication=none'],
    'broker.config is required with broker.class RabbitMQBroker',
  ],
  [['--set', 'broker.config.name=premiere-kafka'], { value: 'broker.config' }],
  [
    ['--set', 'broker.deadLetters.image=event-display'],
    { value: 'broker.deadLetters', words: /additional propert(y|ies) '?image'? (is )?not allowed/i },
  ],
  // Fewer than three sentinels cannot keep a majority through one lost machine.
  [
    ['--set', 'redis.replication.enabled=true', '--set', 'redis.replication.replicas=2'],
    { value: 'redis.replication.replicas' },
  ],
  [
    ['--set', 'redis.replication.enabled=true', '--set', 'redis.replication.quorum=4'],
    'redis.replication.quorum (4) cannot exceed redis.replication.replicas (3)',
  ],
  [
    ['--set', 'redis.replication.enabled=true', '--set', 'redis.existingSecret=premiere-redis'],
    'redis.replication is for the bundled Redis',
  ],
  [['--set', 'redis.replication.antiAffinity=strict'], { value: 'redis.replication.antiAffinity' }],
  // The ServiceMonitor scraped through the queue-proxy (every scrape a request): replaced, and said so.
  [['--set', 'metrics.serviceMonitor.enabled=true'], 'metrics.serviceMonitor is replaced by metrics.podMonitor'],
];

export function checkManifests(validator: Validator, docs: Record<string, unknown>[]): string[] {
  const problems: string[] = [];
  for (const doc of docs) {
    const name = `${doc.kind} ${(doc.metadata as { name?: string } | undefined)?.name ?? '?'}`;
    const errors = validator.validate(doc);
    if (errors === null) problems.push(`${name}: no schema for ${doc.apiVersion} ${doc.kind}`);
    else problems.push(...errors.map((e) => `${name}: ${e}`));
    problems.push(...knativeServiceProblems(doc).map((p) => `${name}: ${p}`));
  }
  return problems;
}

/** Every check of one rendering: each manifest against its schema and Knative's rules, the doors, monitoring. */
export function checkRendering(validator: Validator, docs: Record<string, unknown>[]): string[] {
  return [...checkManifests(validator, docs), ...securityProblems(docs), ...monitoringProblems(docs)];
}

/** The doors fixture must fail for its doors, and for nothing else (its manifests are valid). */
export const OPEN_DOORS: string[] = [
  'Service premiere-reserve-seat: is public (label networking.knative.dev/visibility: absent)',
  'Trigger premiere-orders-payment-approved: spec.subscriber.audience is "serving.knative.dev/service/premiere/premiere-process-payment", not premiere-reserve-seat\'s EVENT_AUTH_AUDIENCE',
  'PingSource premiere-reserve-seat-hold-expiry: spec.sink.audience is absent',
  'Trigger premiere-orders-payment-approved: spec.delivery.deadLetterSink is {"ref":{"apiVersion":"serving.knative.dev/v1","kind":"Service","name":"premiere-reserve-seat"},"uri":"/dead-letters"}, not admit-batch\'s /dead-letters',
];

/** Every premiere_* metric an alert's expression reads must be registered by some function or library. */
export function alertMetricProblems(
  rules: Record<string, any>[],
  dirs = [path.join(ROOT, 'functions'), path.join(ROOT, 'packages')],
): string[] {
  const sources = dirs
    .flatMap((dir) => readdirSync(dir).map((fn) => path.join(dir, fn)))
    .flatMap((fn) => {
      const src = path.join(fn, 'src');
      // Every file under src, folders too (the runtime's outbox metrics live in src/cloudevents).
      return existsSync(src)
        ? readdirSync(src, { recursive: true, encoding: 'utf8' })
            .filter((f) => f.endsWith('.ts'))
            .map((f) => readFileSync(path.join(src, f), 'utf8'))
        : [];
    })
    .join('\n');
  const problems: string[] = [];
  for (const rule of rules.flatMap((r) =>
    (r.spec?.groups ?? []).flatMap((g: { rules?: unknown[] }) => g.rules ?? []),
  )) {
    for (const metric of new Set(String(rule.expr).match(/premiere_[a-z_]+/g) ?? [])) {
      if (!sources.includes(`name: '${metric}'`)) problems.push(`alert ${rule.alert}: no function exports ${metric}`);
    }
  }
  return problems;
}

/** What only Knative's own webhook logic catches (each passes the schemas); the fixture must fail for each. */
export const KNATIVE_BROKEN: string[] = [
  'Service broken: "K_CONFIGURATION" is a reserved environment variable',
  'Service broken: max-scale=2 is less than min-scale=5',
  'PingSource broken: invalid value: end of range (61) above maximum (59): 61: spec.schedule',
  'Trigger broken: invalid value: Relative URI is not allowed when Ref and [apiVersion, kind, name] is absent: spec.subscriber.uri',
  "Broker broken: broker class Kafka gets the channel-based broker's config",
];

/** Throws unless the Knative layer catches every problem of fixtures/knative-broken.yaml. */
export function knativeFixtureMustFail(knative: KnativeCheck): void {
  const caught = knativeProblems(
    knative.run(readFileSync(path.join(__dirname, '../fixtures/knative-broken.yaml'), 'utf8')),
  );
  const missed = KNATIVE_BROKEN.filter((e) => !caught.some((p) => p.startsWith(e)));
  if (missed.length)
    throw new Error(
      `the Knative fixture was not caught (${missed.join('; ')}): the Knative layer is not running Knative's checks`,
    );
}

function main() {
  requireSharedSchemas(SCHEMAS);
  const helm = requireHelm();
  const run = (args: string[]) => execFileSync(helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  process.stdout.write(run(['lint', '--strict', CHART, '--kube-version', KUBE_VERSION]));
  const validator = createValidator({ schemasDir: SCHEMAS, openApiDir: kubernetesOpenApiDir() });

  // The check must be able to fail: a manifest with an unknown field and a wrong type.
  const broken = checkManifests(
    validator,
    parseAll(readFileSync(path.join(__dirname, '../fixtures/broken.yaml'), 'utf8')),
  );
  const expected = ['unknown field "replica"', 'must be integer', 'unknown field "minScale"', 'env PORT is reserved'];
  const missed = expected.filter((e) => !broken.some((p) => p.includes(e)));
  if (missed.length)
    throw new Error(`the broken fixture was not caught (${missed.join('; ')}): the check is not strict`);
  const doors = checkRendering(
    validator,
    parseAll(readFileSync(path.join(__dirname, '../fixtures/public-function.yaml'), 'utf8')),
  );
  const open = OPEN_DOORS.filter((e) => !doors.some((p) => p.startsWith(e)));
  const other = doors.filter((p) => !OPEN_DOORS.some((e) => p.startsWith(e)));
  if (open.length || other.length)
    throw new Error(
      `the doors fixture did not fail as it must (not caught: ${open.join('; ') || 'none'}; other problems: ${other.join('; ') || 'none'})`,
    );
  const knative = buildKnativeCheck();
  knativeFixtureMustFail(knative);
  // The floor chart:check holds kind, Chart.yaml and the schemas to follows the Knative compiled in.
  if (knative.minimumKubernetes !== KNATIVE_MIN_KUBERNETES)
    throw new Error(
      `the Knative in helm/check/knative/go.mod runs on Kubernetes ≥ ${knative.minimumKubernetes}, but KNATIVE_MIN_KUBERNETES (cluster-files.ts) says ${KNATIVE_MIN_KUBERNETES}: move it, and kind-config.yaml, Chart.yaml and the schemas with it`,
    );

  const full = process.argv.includes('--full');
  if (full) {
    process.stdout.write(
      "building helm/check/kube (the API server's create path; a cold build takes long, then seconds)\n",
    );
    buildKubeCheck();
    // The API server must refuse what every schema accepts: the fixture passes the schemas and fails here.
    const fixture = readFileSync(path.join(__dirname, '../fixtures/kube-broken.yaml'), 'utf8');
    const { missed, other: extra } = kubeBrokenMisses(kubeCreate(fixture));
    const bySchema = checkManifests(validator, parseAll(fixture));
    if (missed.length || extra.length || bySchema.length)
      throw new Error(
        `the kube-broken fixture did not fail as it must (not caught: ${missed.join('; ') || 'none'}; other problems: ${extra.join('; ') || 'none'}; refused by the schemas, which must accept it: ${bySchema.join('; ') || 'none'})`,
      );
  }

  let failed = false;
  for (const [scenario, args] of Object.entries(SCENARIOS)) {
    const rendering = run(['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, ...args]);
    const docs = parseAll(rendering);
    const edge = docs.find((d) => d.kind === 'ConfigMap' && (d.metadata as { name: string }).name === 'premiere-edge')
      ?.data as Record<string, string>;
    const report = knative.run(rendering);
    const kube = full ? kubeCreate(rendering) : undefined;
    const pods = full ? kubeCreateRevisionPods(report) : undefined;
    const problems = [
      ...checkRendering(validator, docs),
      ...knativeProblems(report),
      ...nginxConfigProblems(edge),
      ...(kube ? kubeProblems(kube) : []),
      ...(pods ? kubeProblems(pods) : []),
    ];
    process.stdout.write(
      `${problems.length ? 'FAIL' : 'ok  '} ${scenario}: ${docs.length} manifests (${report.objects.length} through Knative's webhooks, ${report.pods.length} revision pods built), nginx -t${kube && pods ? `, ${kube.checked} objects and ${pods.checked} revision pods through the API server's create path` : ''}\n`,
    );
    for (const p of problems) process.stdout.write(`       ${p}\n`);
    failed ||= problems.length > 0;
  }
  // The chart routes and fires exactly as the local stack does.
  const docs = parseAll(run(['template', 'premiere', CHART, '--kube-version', KUBE_VERSION]));
  const functions = docs
    .filter((d) => d.kind === 'Service' && d.apiVersion === 'serving.knative.dev/v1')
    .map((d) => String((d.metadata as { name: string }).name).slice('premiere-'.length));
  const edgeConfig = docs.find(
    (d) => d.kind === 'ConfigMap' && (d.metadata as { name: string }).name === 'premiere-edge',
  )?.data as Record<string, string>;
  const parity = [
    ...eventingParity(docs, loadEventing(), 'premiere'),
    ...edgeParity(docs, loadRoutes(), 'premiere', functions),
    ...nginxConfigProblems(edgeConfig),
  ];
  process.stdout.write(
    `${parity.length ? 'FAIL' : 'ok  '} Triggers, PingSources and edge routes match the local broker and edge; nginx -t accepts the edge\n`,
  );
  for (const p of parity) process.stdout.write(`       ${p}\n`);
  failed ||= parity.length > 0;

  // Schedules let every function reach zero, but those kept warm on purpose (scale-to-zero.ts).
  const asleep = scaleToZeroProblems(docs);
  process.stdout.write(
    `${asleep.length ? 'FAIL' : 'ok  '} every function reaches zero between its schedules, or its schedule says why it stays warm\n`,
  );
  for (const p of asleep) process.stdout.write(`       ${p}\n`);
  failed ||= asleep.length > 0;

  // The alerts name metrics the functions export (a renamed metric would silence its alert).
  const rules = parseAll(
    run([
      'template',
      'premiere',
      CHART,
      '--kube-version',
      KUBE_VERSION,
      '--set',
      'metrics.prometheusRule.enabled=true',
    ]),
  ).filter((d) => d.kind === 'PrometheusRule');
  const alerts = [
    ...(rules.length ? [] : ['no PrometheusRule rendered with metrics.prometheusRule.enabled']),
    ...alertMetricProblems(rules),
  ];
  process.stdout.write(`${alerts.length ? 'FAIL' : 'ok  '} the alerts' metrics are exported by the functions\n`);
  for (const p of alerts) process.stdout.write(`       ${p}\n`);
  failed ||= alerts.length > 0;

  // Every generated credential whose consumer keeps state survives upgrades and reinstalls.
  const credentials = ['defaults', 'Redis replicated behind Sentinel', 'external databases and secrets'].flatMap(
    (scenario) => {
      if (!SCENARIOS[scenario]) throw new Error(`no scenario "${scenario}" to check the credentials of`);
      return chartCredentialProblems(
        (args) => run(['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, ...args]),
        SCENARIOS[scenario],
        CHART,
      ).map((p) => `${scenario}: ${p}`);
    },
  );
  process.stdout.write(
    `${credentials.length ? 'FAIL' : 'ok  '} every generated credential whose consumer keeps state is kept (read back on upgrade, resource-policy keep)\n`,
  );
  for (const p of credentials) process.stdout.write(`       ${p}\n`);
  failed ||= credentials.length > 0;

  const clusterFiles = [
    ...skaffoldProblems(path.join(ROOT, 'skaffold.yaml'), path.join(SCHEMAS, 'skaffold/v4beta14.json')).map(
      (p) => `skaffold.yaml: ${p}`,
    ),
    ...kindConfigProblems(
      path.join(ROOT, 'kind-config.yaml'),
      YAML.parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')).edge.service.nodePort,
    ).map((p) => `kind-config.yaml: ${p}`),
    // The Kubernetes the cluster path is for (kind's node, Chart.yaml, this check) is Knative's least.
    ...kubernetesVersionProblems(repoKubernetesVersions(ROOT)),
    ...hostPortCollisions(
      readFileSync(path.join(ROOT, 'skaffold.yaml'), 'utf8'),
      readFileSync(path.join(ROOT, 'kind-config.yaml'), 'utf8'),
    ),
  ];
  process.stdout.write(
    `${clusterFiles.length ? 'FAIL' : 'ok  '} skaffold.yaml and kind-config.yaml (the Kubernetes version Knative needs, the host's ports)\n`,
  );
  for (const p of clusterFiles) process.stdout.write(`       ${p}\n`);
  failed ||= clusterFiles.length > 0;

  for (const [args, words] of REFUSED) {
    let refusal = '';
    try {
      run(['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, ...args]);
    } catch (err) {
      refusal = String((err as { stderr?: string }).stderr ?? err);
    }
    const ok = refusalSays(refusal, words);
    process.stdout.write(
      `${ok ? 'ok  ' : 'FAIL'} refused ${args.filter((a) => a !== '--set').join(' ')}${ok ? '' : `: expected an error naming ${describeRefusal(words)}, got ${refusal || 'none'}`}\n`,
    );
    failed ||= !ok;
  }
  if (failed) process.exit(1);
  process.stdout.write('chart:check passed\n');
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    const e = err as Error & { stderr?: string };
    process.stderr.write(`chart:check: ${e.stderr?.trim() || e.message}\n`);
    process.exit(1);
  }
}

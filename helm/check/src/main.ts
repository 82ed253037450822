import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { loadEventing, loadRoutes } from '@premiere/local-stack/dist/declarations';
import { kindConfigProblems, skaffoldProblems } from './cluster-files';
import { CHART, KUBE_VERSION, ROOT, parseAll, requireHelm } from './helm';
import { knativeServiceProblems } from './knative-rules';
import { buildKubeCheck, kubeBrokenMisses, kubeCreate, kubeProblems } from './kube-check';
import { nginxConfigProblems } from './nginx';
import { edgeParity, eventingParity } from './parity';
import { createValidator, kubernetesOpenApiDir, type Validator } from './schemas';
import { securityProblems } from './security';

/**
 * `npm run chart:check`: the chart's checks without a cluster — helm lint, helm template for every
 * documented combination of values, every rendered manifest strictly validated against the
 * Kubernetes and Knative schemas, the rules Knative's webhook enforces, the doors (every function
 * cluster-local, every event delivery authenticated: security.ts), and fixtures that must fail (so a
 * check that passes everything cannot go unnoticed). With `--full`, also every core object through
 * the Kubernetes API server's create path (kube-check.ts; its first build is long).
 */
const SCHEMAS = process.env.PREMIERE_SCHEMAS_DIR ?? path.resolve(ROOT, '../shared/schemas');

/** The documented combinations of values (README, docs/operations.md), each rendered and checked. */
export const SCENARIOS: Record<string, string[]> = {
  defaults: [],
  'kafka broker': ['--set', 'broker.class=Kafka'],
  // Not on Knative's list of brokers with sender identity: documented with authentication off.
  'rabbitmq broker': ['--set', 'broker.class=RabbitMQBroker', '--set', 'events.authentication=none'],
  'external databases and secrets': ['--set', 'postgresql.existingSecret=premiere-db', '--set', 'redis.existingSecret=premiere-redis', '--set', 'secrets.existingSecret=premiere-keys'],
  'simulators off': ['--set', 'simulators.enabled=false', '--set', 'legacy.url=https://seats.cinema.example', '--set', 'payment.url=https://api.payments.example', '--set', 'payment.existingSecret=premiere-payments'],
  'ServiceMonitor on': ['--set', 'metrics.serviceMonitor.enabled=true'],
  'ServiceMonitor and alerts on': ['--set', 'metrics.serviceMonitor.enabled=true', '--set', 'metrics.prometheusRule.enabled=true', '--set', 'metrics.prometheusRule.labels.release=prometheus'],
  'dead letters to the operator’s own sink': ['--set', 'broker.deadLetters.uri=https://dead-letters.example/sink'],
  'network policies off': ['--set', 'networkPolicies.enabled=false'],
  'behind a load balancer': ['--set', 'edge.service.type=LoadBalancer', '--set', 'edge.trustedProxies={10.0.0.0/8,2001:db8::/32}'],
  'event authentication off': ['--set', 'events.authentication=none'],
  'another token issuer': ['--set', 'events.issuer=https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE'],
  'Redis replicated behind Sentinel': ['--set', 'redis.replication.enabled=true'],
  'Redis replicated on 5 machines': ['--set', 'redis.replication.enabled=true', '--set', 'redis.replication.replicas=5', '--set', 'redis.replication.quorum=3', '--set', 'redis.replication.antiAffinity=hard'],
  'Redis replicated, network policies off': ['--set', 'redis.replication.enabled=true', '--set', 'networkPolicies.enabled=false'],
};

/** Values that must be refused, and the words the refusal must contain (it names what is wrong). */
export const REFUSED: [string[], string][] = [
  [['--set', 'functions.issue-token.minScale=-1'], '/functions/issue-token/minScale'],
  [['--set', 'broker.class=NoSuchBroker'], '/broker/class'],
  [['--set', 'broker.klass=Kafka'], "additional properties 'klass' not allowed"],
  [['--set', 'edge.trustedProxies={everyone}'], '/edge/trustedProxies/0'],
  [['--set', 'edge.service.externalTrafficPolicy=Nearest'], '/edge/service/externalTrafficPolicy'],
  [['--set', 'postgresql.bundled=false'], 'postgresql.existingSecret is required'],
  [['--set', 'simulators.legacyCinema.overload=explode'], '/simulators/legacyCinema/overload'],
  [['--set', 'simulators.enabled=false', '--set', 'payment.url=https://api.payments.example'], 'legacy.url is required'],
  [['--set', 'simulators.enabled=false', '--set', 'legacy.url=https://seats.cinema.example'], 'payment.url is required'],
  [['--set', 'events.authentication=maybe'], "at '/events/authentication': value must be one of 'oidc', 'none'"],
  [['--set', 'events.authentication=false'], "at '/events/authentication'"],
  [['--set', 'events.issuer=http://kubernetes.default.svc.cluster.local'], "at '/events/issuer'"],
  [['--set', 'events.issuer='], "at '/events/issuer'"],
  // A function may not opt out of the events.* settings through its own env.
  [['--set', 'functions.reserve-seat.env.EVENT_AUTH=none'], "invalid propertyName 'EVENT_AUTH'"],
  [['--set', 'broker.deadLetters.uri=dead-letters.example'], '/broker/deadLetters/uri'],
  [['--set', 'broker.deadLetters.image=event-display'], "additional properties 'image' not allowed"],
  // Fewer than three sentinels cannot keep a majority through one lost machine.
  [['--set', 'redis.replication.enabled=true', '--set', 'redis.replication.replicas=2'], "at '/redis/replication/replicas'"],
  [['--set', 'redis.replication.enabled=true', '--set', 'redis.replication.quorum=4'], 'redis.replication.quorum (4) cannot exceed redis.replication.replicas (3)'],
  [['--set', 'redis.replication.enabled=true', '--set', 'redis.existingSecret=premiere-redis'], 'redis.replication is for the bundled Redis'],
  [['--set', 'redis.replication.antiAffinity=strict'], "at '/redis/replication/antiAffinity'"],
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

/** Every check of one rendering: each manifest against its schema and Knative's rules, and the doors. */
export function checkRendering(validator: Validator, docs: Record<string, unknown>[]): string[] {
  return [...checkManifests(validator, docs), ...securityProblems(docs)];
}

/** The doors fixture must fail for its doors, and for nothing else (its manifests are valid). */
export const OPEN_DOORS: string[] = [
  'Service premiere-reserve-seat: is public (label networking.knative.dev/visibility: absent)',
  'Trigger premiere-orders-payment-approved: spec.subscriber.audience is "serving.knative.dev/service/premiere/premiere-process-payment", not premiere-reserve-seat\'s EVENT_AUTH_AUDIENCE',
  'PingSource premiere-reserve-seat-hold-expiry: spec.sink.audience is absent',
  'Trigger premiere-orders-payment-approved: spec.delivery.deadLetterSink is {"ref":{"apiVersion":"serving.knative.dev/v1","kind":"Service","name":"premiere-reserve-seat"},"uri":"/dead-letters"}, not admit-batch\'s /dead-letters',
];

/** Every premiere_* metric an alert's expression reads must be registered by some function. */
export function alertMetricProblems(rules: Record<string, any>[], functionsDir = path.join(ROOT, 'functions')): string[] {
  const sources = readdirSync(functionsDir).flatMap((fn) => {
    const src = path.join(functionsDir, fn, 'src');
    return existsSync(src) ? readdirSync(src).filter((f) => f.endsWith('.ts')).map((f) => readFileSync(path.join(src, f), 'utf8')) : [];
  }).join('\n');
  const problems: string[] = [];
  for (const rule of rules.flatMap((r) => (r.spec?.groups ?? []).flatMap((g: { rules?: unknown[] }) => g.rules ?? []))) {
    for (const metric of new Set(String(rule.expr).match(/premiere_[a-z_]+/g) ?? [])) {
      if (!sources.includes(`name: '${metric}'`)) problems.push(`alert ${rule.alert}: no function exports ${metric}`);
    }
  }
  return problems;
}

function main() {
  const helm = requireHelm();
  const run = (args: string[]) => execFileSync(helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  process.stdout.write(run(['lint', '--strict', CHART, '--kube-version', KUBE_VERSION]));
  const validator = createValidator({ schemasDir: SCHEMAS, openApiDir: kubernetesOpenApiDir() });

  // The check must be able to fail: a manifest with an unknown field and a wrong type.
  const broken = checkManifests(validator, parseAll(readFileSync(path.join(__dirname, '../fixtures/broken.yaml'), 'utf8')));
  const expected = ['unknown field "replica"', 'must be integer', 'unknown field "minScale"', 'env PORT is reserved'];
  const missed = expected.filter((e) => !broken.some((p) => p.includes(e)));
  if (missed.length) throw new Error(`the broken fixture was not caught (${missed.join('; ')}): the check is not strict`);
  const doors = checkRendering(validator, parseAll(readFileSync(path.join(__dirname, '../fixtures/public-function.yaml'), 'utf8')));
  const open = OPEN_DOORS.filter((e) => !doors.some((p) => p.startsWith(e)));
  const other = doors.filter((p) => !OPEN_DOORS.some((e) => p.startsWith(e)));
  if (open.length || other.length) throw new Error(`the doors fixture did not fail as it must (not caught: ${open.join('; ') || 'none'}; other problems: ${other.join('; ') || 'none'})`);

  const full = process.argv.includes('--full');
  if (full) {
    process.stdout.write('building helm/check/kube (the API server\'s create path; a cold build takes long, then seconds)\n');
    buildKubeCheck();
    // The API server must refuse what every schema accepts: the fixture passes the schemas and fails here.
    const fixture = readFileSync(path.join(__dirname, '../fixtures/kube-broken.yaml'), 'utf8');
    const { missed, other: extra } = kubeBrokenMisses(kubeCreate(fixture));
    const bySchema = checkManifests(validator, parseAll(fixture));
    if (missed.length || extra.length || bySchema.length) throw new Error(`the kube-broken fixture did not fail as it must (not caught: ${missed.join('; ') || 'none'}; other problems: ${extra.join('; ') || 'none'}; refused by the schemas, which must accept it: ${bySchema.join('; ') || 'none'})`);
  }

  let failed = false;
  for (const [scenario, args] of Object.entries(SCENARIOS)) {
    const rendered = run(['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, ...args]);
    const docs = parseAll(rendered);
    const edge = docs.find((d) => d.kind === 'ConfigMap' && (d.metadata as { name: string }).name === 'premiere-edge')?.data as Record<string, string>;
    const kube = full ? kubeCreate(rendered) : undefined;
    const problems = [...checkRendering(validator, docs), ...nginxConfigProblems(edge), ...(kube ? kubeProblems(kube) : [])];
    process.stdout.write(`${problems.length ? 'FAIL' : 'ok  '} ${scenario}: ${docs.length} manifests, nginx -t${kube ? `, ${kube.checked} through the API server's create path` : ''}\n`);
    for (const p of problems) process.stdout.write(`       ${p}\n`);
    // Warnings do not refuse a create (kubectl prints them); shown so that they are read.
    for (const w of kube?.warnings ?? []) process.stdout.write(`       warning: ${w.kind} ${w.name}: ${w.warning}\n`);
    failed ||= problems.length > 0;
  }
  // The chart routes and fires exactly as the local stack does.
  const docs = parseAll(run(['template', 'premiere', CHART, '--kube-version', KUBE_VERSION]));
  const functions = docs.filter((d) => d.kind === 'Service' && d.apiVersion === 'serving.knative.dev/v1').map((d) => String((d.metadata as { name: string }).name).slice('premiere-'.length));
  const edgeConfig = docs.find((d) => d.kind === 'ConfigMap' && (d.metadata as { name: string }).name === 'premiere-edge')?.data as Record<string, string>;
  const parity = [
    ...eventingParity(docs, loadEventing(), 'premiere'),
    ...edgeParity(docs, loadRoutes(), 'premiere', functions),
    ...nginxConfigProblems(edgeConfig),
  ];
  process.stdout.write(`${parity.length ? 'FAIL' : 'ok  '} Triggers, PingSources and edge routes match the local broker and edge; nginx -t accepts the edge\n`);
  for (const p of parity) process.stdout.write(`       ${p}\n`);
  failed ||= parity.length > 0;

  // The alerts name metrics the functions export (a renamed metric would silence its alert).
  const rules = parseAll(run(['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, '--set', 'metrics.prometheusRule.enabled=true'])).filter((d) => d.kind === 'PrometheusRule');
  const alerts = [...(rules.length ? [] : ['no PrometheusRule rendered with metrics.prometheusRule.enabled']), ...alertMetricProblems(rules)];
  process.stdout.write(`${alerts.length ? 'FAIL' : 'ok  '} the alerts' metrics are exported by the functions\n`);
  for (const p of alerts) process.stdout.write(`       ${p}\n`);
  failed ||= alerts.length > 0;

  const clusterFiles = [
    ...skaffoldProblems(path.join(ROOT, 'skaffold.yaml'), path.join(SCHEMAS, 'skaffold/v4beta14.json')).map((p) => `skaffold.yaml: ${p}`),
    ...kindConfigProblems(path.join(ROOT, 'kind-config.yaml'), YAML.parse(readFileSync(path.join(CHART, 'values.yaml'), 'utf8')).edge.service.nodePort).map((p) => `kind-config.yaml: ${p}`),
  ];
  process.stdout.write(`${clusterFiles.length ? 'FAIL' : 'ok  '} skaffold.yaml and kind-config.yaml\n`);
  for (const p of clusterFiles) process.stdout.write(`       ${p}\n`);
  failed ||= clusterFiles.length > 0;

  for (const [args, words] of REFUSED) {
    let refusal = '';
    try {
      run(['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, ...args]);
    } catch (err) {
      refusal = String((err as { stderr?: string }).stderr ?? err);
    }
    const ok = refusal.includes(words);
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} refused ${args.filter((a) => a !== '--set').join(' ')}${ok ? '' : `: expected an error naming ${words}, got ${refusal || 'none'}`}\n`);
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

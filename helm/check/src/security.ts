/**
 * The chart's doors, checked on what it renders:
 * - the edge is premiere's one public entry, so every Knative Service is cluster-local: Kourier's
 *   external gateway has no route for a cluster-local host, so nothing outside the cluster reaches
 *   a function past the edge (and its block list of /events and /metrics);
 * - every function verifies the CloudEvents posted to its /events (EVENT_AUTH, EVENT_AUTH_AUDIENCE,
 *   EVENT_AUTH_ISSUER), reading the cluster's keys with its pod's service-account token;
 * - every Trigger and PingSource asks Knative for a token of the audience its function expects;
 * - every Trigger's and the Broker's dead letters go to the dead-letter store (admit-batch's
 *   POST /dead-letters, with its audience), or to an operator's own sink by URI.
 */
type Doc = Record<string, any>;
interface EnvVar {
  name: string;
  value?: string;
}

export const VISIBILITY_LABEL = 'networking.knative.dev/visibility';
export const FUNCTION_LABEL = 'premiere.dev/function';
const AUTH_MODES = ['oidc', 'none'];
const DNS_LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

const isKnativeService = (d: Doc) => d?.apiVersion === 'serving.knative.dev/v1' && d?.kind === 'Service';
const isFunction = (d: Doc) => isKnativeService(d) && Boolean(d.metadata?.labels?.[FUNCTION_LABEL]);
const nameOf = (d: Doc) => `${d.kind} ${d.metadata?.name ?? '?'}`;
const envOf = (d: Doc): EnvVar[] =>
  (d.spec?.template?.spec?.containers ?? []).flatMap((c: { env?: EnvVar[] }) => c.env ?? []);

/** Knative's own audience convention for a Knative Service: <group>/<kind>/<namespace>/<name>, lowercase. */
export function serviceAudience(namespace: string, name: string): string {
  return `serving.knative.dev/service/${namespace}/${name}`.toLowerCase();
}

/** A Knative Service without cluster-local visibility gets a route on Kourier's internet-facing gateway. */
export function publicServiceProblems(doc: Doc): string[] {
  if (!isKnativeService(doc)) return [];
  const visibility = doc.metadata?.labels?.[VISIBILITY_LABEL];
  if (visibility === 'cluster-local') return [];
  return [
    `is public (label ${VISIBILITY_LABEL}: ${visibility ?? 'absent'}): every Knative Service must be cluster-local, the edge is the one public door`,
  ];
}

/** What a function needs to refuse events no sender of ours signed. */
export function eventAuthProblems(doc: Doc): string[] {
  if (!isFunction(doc)) return [];
  const problems: string[] = [];
  const env = envOf(doc);
  const once = (name: string): string | undefined => {
    const found = env.filter((e) => e.name === name);
    if (found.length !== 1) problems.push(`env ${name} is set ${found.length} times, not once`);
    else if (typeof found[0].value !== 'string') problems.push(`env ${name} must be a plain value`);
    else return found[0].value;
    return undefined;
  };
  const mode = once('EVENT_AUTH');
  if (mode !== undefined && !AUTH_MODES.includes(mode))
    problems.push(`env EVENT_AUTH is "${mode}", not ${AUTH_MODES.join(' or ')}`);
  const audience = once('EVENT_AUTH_AUDIENCE');
  const name: string = doc.metadata.name;
  const namespace: string | undefined = doc.metadata.namespace;
  // helm template renders no namespace: then any namespace is accepted, the name must be the Service's.
  const expected = namespace ? serviceAudience(namespace, name) : `serving.knative.dev/service/<namespace>/${name}`;
  const audienceOk = namespace
    ? audience === expected
    : new RegExp(`^serving\\.knative\\.dev/service/${DNS_LABEL}/${name.replace(/[.]/g, '\\.')}$`).test(audience ?? '');
  if (audience !== undefined && !audienceOk) problems.push(`env EVENT_AUTH_AUDIENCE is "${audience}", not ${expected}`);
  const subjects = once('EVENT_AUTH_SUBJECT_PREFIX');
  const subjectsOk = namespace
    ? subjects === `system:serviceaccount:${namespace}:`
    : new RegExp(`^system:serviceaccount:${DNS_LABEL}:$`).test(subjects ?? '');
  if (subjects !== undefined && !subjectsOk)
    problems.push(
      `env EVENT_AUTH_SUBJECT_PREFIX is "${subjects}", not system:serviceaccount:<its namespace>: (only our Triggers and PingSources)`,
    );
  const issuer = once('EVENT_AUTH_ISSUER');
  if (issuer !== undefined && !/^https:\/\/\S+$/.test(issuer))
    problems.push(`env EVENT_AUTH_ISSUER is "${issuer}", not an https URL`);
  if (mode === 'oidc' && doc.spec?.template?.spec?.automountServiceAccountToken === false) {
    problems.push(
      "automountServiceAccountToken is false, but the function reads the cluster's keys with its service-account token",
    );
  }
  return problems;
}

/** Every Trigger and PingSource must ask for a token of the audience its function verifies. */
export function deliveryAudienceProblems(docs: Doc[]): string[] {
  const audiences = new Map(
    docs
      .filter(isFunction)
      .map((d) => [d.metadata.name as string, envOf(d).find((e) => e.name === 'EVENT_AUTH_AUDIENCE')?.value]),
  );
  const problems: string[] = [];
  for (const d of docs) {
    const [field, destination] =
      d.apiVersion === 'eventing.knative.dev/v1' && d.kind === 'Trigger'
        ? ['spec.subscriber', d.spec?.subscriber]
        : d.apiVersion === 'sources.knative.dev/v1' && d.kind === 'PingSource'
          ? ['spec.sink', d.spec?.sink]
          : [];
    if (!field) continue;
    const ref = destination?.ref;
    if (ref?.apiVersion !== 'serving.knative.dev/v1' || ref?.kind !== 'Service' || !audiences.has(ref.name)) {
      problems.push(`${nameOf(d)}: ${field} is not one of the chart's functions`);
      continue;
    }
    const expected = audiences.get(ref.name);
    if (expected === undefined) problems.push(`${nameOf(d)}: its function ${ref.name} has no EVENT_AUTH_AUDIENCE`);
    else if (destination.audience !== expected) {
      problems.push(
        `${nameOf(d)}: ${field}.audience is ${destination.audience === undefined ? 'absent' : `"${destination.audience}"`}, not ${ref.name}'s EVENT_AUTH_AUDIENCE "${expected}"`,
      );
    }
  }
  return problems;
}

/** The function that stores dead letters, and where. */
export const DEAD_LETTER_STORE = { function: 'admit-batch', path: '/dead-letters' };

/**
 * Every Trigger and Broker has a dead-letter sink: the store (admit-batch's /dead-letters, asking
 * for its audience, which it requires as on /events), or an operator's sink by absolute URI.
 */
export function deadLetterSinkProblems(docs: Doc[]): string[] {
  const functions = new Map(docs.filter(isFunction).map((d) => [d.metadata.name as string, d]));
  const problems: string[] = [];
  for (const d of docs.filter(
    (x) => x.apiVersion === 'eventing.knative.dev/v1' && (x.kind === 'Trigger' || x.kind === 'Broker'),
  )) {
    const sink = d.spec?.delivery?.deadLetterSink;
    const field = 'spec.delivery.deadLetterSink';
    if (!sink) {
      problems.push(`${nameOf(d)}: ${field} is absent: a delivery that runs out of retries would be lost`);
      continue;
    }
    if (!sink.ref) {
      if (!/^https?:\/\/\S+$/.test(sink.uri ?? ''))
        problems.push(`${nameOf(d)}: ${field} has neither a ref nor an absolute uri`);
      continue;
    }
    const fn =
      sink.ref.apiVersion === 'serving.knative.dev/v1' && sink.ref.kind === 'Service'
        ? functions.get(sink.ref.name)
        : undefined;
    if (fn?.metadata?.labels?.[FUNCTION_LABEL] !== DEAD_LETTER_STORE.function || sink.uri !== DEAD_LETTER_STORE.path) {
      problems.push(
        `${nameOf(d)}: ${field} is ${JSON.stringify({ ref: sink.ref, uri: sink.uri })}, not ${DEAD_LETTER_STORE.function}'s ${DEAD_LETTER_STORE.path}`,
      );
      continue;
    }
    const expected = envOf(fn).find((e) => e.name === 'EVENT_AUTH_AUDIENCE')?.value;
    if (sink.audience !== expected)
      problems.push(
        `${nameOf(d)}: ${field}.audience is ${sink.audience === undefined ? 'absent' : `"${sink.audience}"`}, not ${sink.ref.name}'s EVENT_AUTH_AUDIENCE "${expected}"`,
      );
  }
  return problems;
}

/** A function verifying events must run as a service account whose token is mounted. */
export function serviceAccountProblems(docs: Doc[]): string[] {
  const unmounted = new Set(
    docs
      .filter((d) => d.apiVersion === 'v1' && d.kind === 'ServiceAccount' && d.automountServiceAccountToken === false)
      .map((d) => d.metadata?.name),
  );
  return docs
    .filter((d) => isFunction(d) && envOf(d).some((e) => e.name === 'EVENT_AUTH' && e.value === 'oidc'))
    .filter((d) => unmounted.has(d.spec?.template?.spec?.serviceAccountName))
    .map(
      (d) =>
        `${nameOf(d)}: runs as ServiceAccount ${d.spec.template.spec.serviceAccountName}, which does not mount its token: the function could not read the cluster's keys`,
    );
}

/** Every door problem of one rendering. */
export function securityProblems(docs: Doc[]): string[] {
  return [
    ...docs.flatMap((d) => [...publicServiceProblems(d), ...eventAuthProblems(d)].map((p) => `${nameOf(d)}: ${p}`)),
    ...serviceAccountProblems(docs),
    ...deliveryAudienceProblems(docs),
    ...deadLetterSinkProblems(docs),
  ];
}

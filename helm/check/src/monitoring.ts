import { ingressAllowed, selects, type Labels, type Pod } from './network-policy';
import { FUNCTION_LABEL } from './security';

/**
 * Monitoring that works and lets functions sleep, checked on what the chart renders:
 * - Prometheus scrapes each function's own container (`user-port`, as Knative names it on the
 *   revision's pod), never the queue-proxy's ports nor Knative's Services: a scrape through them is a
 *   request the autoscaler counts, so a scraped function would never scale to zero. A function at
 *   zero has no pod, hence no target, and nothing wakes it.
 * - With NetworkPolicies on, Prometheus's pods (in their namespace) may reach that port on every
 *   function's pod.
 */
type Doc = Record<string, any>;

/** Where Prometheus runs: the chart's default (values metrics.podMonitor.scraper) is namespace `monitoring`. */
export interface Scraper {
  namespaceLabels: Labels;
  podLabels: Labels;
}
export const DEFAULT_SCRAPER: Scraper = {
  namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
  podLabels: { 'app.kubernetes.io/name': 'prometheus' },
};

/** The queue-proxy's ports on every revision pod (knative.dev/serving pkg/reconciler/revision/resources/queue.go). */
export const QUEUE_PROXY_PORTS = [
  { name: 'queue-port', containerPort: 8012 },
  { name: 'https-port', containerPort: 8112 },
  { name: 'http-queueadm', containerPort: 8022 },
  { name: 'http-autometric', containerPort: 9090 },
  { name: 'http-usermetric', containerPort: 9091 },
];
/** Knative's name for the user container's port on the pod, whatever the Service calls it. */
export const USER_PORT_NAME = 'user-port';
/** A revision's Services (private and public) and where each of their ports leads on the pod. */
const KNATIVE_SERVICE_PORTS: Record<string, number> = {
  http: 8012,
  https: 8112,
  'http-autometric': 9090,
  'http-usermetric': 9091,
  'http-queueadm': 8022,
};

const isFunction = (d: Doc) =>
  d?.apiVersion === 'serving.knative.dev/v1' && d?.kind === 'Service' && Boolean(d.metadata?.labels?.[FUNCTION_LABEL]);
const isMonitor = (d: Doc, kind: string) => d?.apiVersion === 'monitoring.coreos.com/v1' && d?.kind === kind;

/** A function's revision pod as Knative builds it: the template's labels and Knative's, its ports. */
export function functionPod(fn: Doc): Pod {
  const name: string = fn.metadata.name;
  const userPort = fn.spec?.template?.spec?.containers?.[0]?.ports?.[0]?.containerPort ?? 8080;
  return {
    labels: {
      ...(fn.spec?.template?.metadata?.labels ?? {}),
      'serving.knative.dev/service': name,
      'serving.knative.dev/configuration': name,
      'serving.knative.dev/revision': `${name}-00001`,
    },
    ports: [{ name: USER_PORT_NAME, containerPort: userPort }, ...QUEUE_PROXY_PORTS],
  };
}

/** The labels Knative gives a revision's private and public Services. */
const knativeServiceLabels = (name: string) =>
  ['Private', 'Public'].map((type) => ({
    'serving.knative.dev/service': name,
    'serving.knative.dev/configuration': name,
    'serving.knative.dev/revision': `${name}-00001`,
    'networking.internal.knative.dev/serviceType': type,
  }));

/** The pod port a PodMonitor endpoint scrapes (by name, or portNumber / the older targetPort). */
function podMonitorPort(endpoint: Doc, pod: Pod): number | string {
  if (typeof endpoint.port === 'string')
    return pod.ports.find((p) => p.name === endpoint.port)?.containerPort ?? endpoint.port;
  return endpoint.portNumber ?? endpoint.targetPort ?? 'none';
}

export function monitoringProblems(docs: Doc[], scraper: Scraper = DEFAULT_SCRAPER): string[] {
  const problems: string[] = [];
  const functions = docs.filter(isFunction);
  const serviceMonitors = docs.filter((d) => isMonitor(d, 'ServiceMonitor'));
  const podMonitors = docs.filter((d) => isMonitor(d, 'PodMonitor'));
  if (serviceMonitors.length + podMonitors.length === 0) return [];
  const from = { ...scraper, sameNamespace: false };
  const queuePorts = new Set(QUEUE_PROXY_PORTS.map((p) => p.containerPort));
  const reach = (who: string, fn: Doc, pod: Pod, port: number) => {
    if (!ingressAllowed(docs, pod, from, port)) {
      problems.push(
        `${who}: Prometheus (namespace ${JSON.stringify(scraper.namespaceLabels)}) cannot reach ${fn.metadata.name}'s pods on port ${port}: no NetworkPolicy allows it`,
      );
    }
  };

  for (const sm of serviceMonitors) {
    const who = `ServiceMonitor ${sm.metadata?.name}`;
    for (const fn of functions) {
      if (!knativeServiceLabels(fn.metadata.name).some((labels) => selects(sm.spec?.selector, labels))) continue;
      problems.push(
        `${who}: scrapes ${fn.metadata.name} through Knative's Service, i.e. its queue-proxy: every scrape is a request the autoscaler counts, so the function never scales to zero (scrape the pod's ${USER_PORT_NAME} with a PodMonitor)`,
      );
      for (const e of sm.spec?.endpoints ?? []) {
        const port = KNATIVE_SERVICE_PORTS[e.port];
        if (port !== undefined) reach(who, fn, functionPod(fn), port);
      }
    }
  }

  for (const fn of functions) {
    const pod = functionPod(fn);
    const mine = podMonitors.filter((pm) => selects(pm.spec?.selector, pod.labels));
    if (podMonitors.length > 0 && mine.length === 0)
      problems.push(`${fn.metadata.name}: no PodMonitor selects its pods, so it is not scraped`);
    for (const pm of mine) {
      const who = `PodMonitor ${pm.metadata?.name}`;
      for (const e of pm.spec?.podMetricsEndpoints ?? []) {
        const port = podMonitorPort(e, pod);
        if (typeof port !== 'number')
          problems.push(
            `${who}: ${fn.metadata.name}'s pods have no port ${JSON.stringify(port)} (Knative names the user container's port ${USER_PORT_NAME})`,
          );
        else if (queuePorts.has(port))
          problems.push(
            `${who}: scrapes ${fn.metadata.name}'s queue-proxy (port ${port}), not the function's own port`,
          );
        else reach(who, fn, pod, port);
      }
    }
  }
  return problems;
}

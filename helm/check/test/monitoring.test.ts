import { execFileSync } from 'node:child_process';
import { loadRoutes } from '@premiere/local-stack/declarations';
import { CHART, findHelm, KUBE_VERSION, renderChart } from '../src/helm';
import { DEFAULT_SCRAPER, functionPod, monitoringProblems } from '../src/monitoring';
import { ingressAllowed, selects } from '../src/network-policy';

/**
 * Monitoring that works with the NetworkPolicies on and holds no function awake: Prometheus scrapes
 * each function's own container port directly (a PodMonitor on Knative's user-port), never the
 * queue-proxy or Knative's Services, whose requests the autoscaler counts; and the functions'
 * policy lets the scraper's namespace reach that port. Rendering tests need helm: skipped without
 * it, except under CI (CI=true), where they fail.
 */
type Doc = Record<string, any>;

const fn = (name: string): Doc => ({
  apiVersion: 'serving.knative.dev/v1',
  kind: 'Service',
  metadata: { name, labels: { 'premiere.dev/function': name } },
  spec: {
    template: {
      metadata: { labels: { 'premiere.dev/function': name } },
      spec: { containers: [{ name, image: 'i', ports: [{ name: 'http1', containerPort: 8080 }] }] },
    },
  },
});
const policy = (ingress: Doc[]): Doc => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'functions' },
  spec: {
    podSelector: { matchExpressions: [{ key: 'premiere.dev/function', operator: 'Exists' }] },
    policyTypes: ['Ingress'],
    ingress,
  },
});
const fromKnative = {
  from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'knative-serving' } } }],
  ports: [{ port: 8012 }, { port: 9090 }],
};
const fromMonitoring = {
  from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } }, podSelector: {} }],
  ports: [{ port: 8080, protocol: 'TCP' }],
};
const podMonitor = (port: Doc): Doc => ({
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'PodMonitor',
  metadata: { name: 'functions' },
  spec: {
    selector: { matchExpressions: [{ key: 'premiere.dev/function', operator: 'Exists' }] },
    podMetricsEndpoints: [{ ...port, path: '/metrics' }],
  },
});
// What the chart rendered before: Knative's private Services, their http port (the queue-proxy's 8012).
const serviceMonitor: Doc = {
  apiVersion: 'monitoring.coreos.com/v1',
  kind: 'ServiceMonitor',
  metadata: { name: 'functions' },
  spec: {
    selector: { matchLabels: { 'networking.internal.knative.dev/serviceType': 'Private' } },
    endpoints: [{ port: 'http', path: '/metrics' }],
  },
};

describe('NetworkPolicy ingress, as the API defines it', () => {
  const pod = functionPod(fn('premiere-render-catalog'));
  const monitoring = { ...DEFAULT_SCRAPER, sameNamespace: false };

  it('label selectors: matchLabels and expressions, {} selects everything, absent selects nothing', () => {
    expect(selects({}, { a: 'b' })).toBe(true);
    expect(selects(undefined, { a: 'b' })).toBe(false);
    expect(
      selects({ matchLabels: { a: 'b' }, matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, { a: 'b' }),
    ).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }] }, { a: 'b' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['x'] }] }, {})).toBe(true);
  });

  it('a pod no policy selects takes everything; a selected one only what a rule names', () => {
    expect(ingressAllowed([], pod, monitoring, 8080)).toBe(true);
    expect(ingressAllowed([policy([fromKnative])], pod, monitoring, 8080)).toBe(false);
    expect(ingressAllowed([policy([fromKnative, fromMonitoring])], pod, monitoring, 8080)).toBe(true);
    expect(ingressAllowed([policy([fromKnative, fromMonitoring])], pod, monitoring, 8012)).toBe(false);
    expect(
      ingressAllowed(
        [policy([fromKnative, fromMonitoring])],
        pod,
        { ...monitoring, namespaceLabels: { 'kubernetes.io/metadata.name': 'default' } },
        8080,
      ),
    ).toBe(false);
  });

  it('a named port is the destination pod’s port of that name', () => {
    const named = policy([{ from: fromMonitoring.from, ports: [{ port: 'user-port' }] }]);
    expect(ingressAllowed([named], pod, monitoring, 8080)).toBe(true);
    expect(ingressAllowed([named], pod, monitoring, 8012)).toBe(false);
  });
});

describe('the monitoring rule', () => {
  const functions = [fn('premiere-issue-token'), fn('premiere-render-catalog')];

  it('refuses a ServiceMonitor on Knative’s Services: every scrape is a request, and the policies keep Prometheus out', () => {
    expect(monitoringProblems([...functions, policy([fromKnative]), serviceMonitor])).toEqual([
      "ServiceMonitor functions: scrapes premiere-issue-token through Knative's Service, i.e. its queue-proxy: every scrape is a request the autoscaler counts, so the function never scales to zero (scrape the pod's user-port with a PodMonitor)",
      'ServiceMonitor functions: Prometheus (namespace {"kubernetes.io/metadata.name":"monitoring"}) cannot reach premiere-issue-token\'s pods on port 8012: no NetworkPolicy allows it',
      "ServiceMonitor functions: scrapes premiere-render-catalog through Knative's Service, i.e. its queue-proxy: every scrape is a request the autoscaler counts, so the function never scales to zero (scrape the pod's user-port with a PodMonitor)",
      'ServiceMonitor functions: Prometheus (namespace {"kubernetes.io/metadata.name":"monitoring"}) cannot reach premiere-render-catalog\'s pods on port 8012: no NetworkPolicy allows it',
    ]);
  });

  it('refuses a PodMonitor on the queue-proxy’s ports, or on a port the pod does not have', () => {
    expect(monitoringProblems([functions[0], podMonitor({ port: 'http-usermetric' })])).toEqual([
      "PodMonitor functions: scrapes premiere-issue-token's queue-proxy (port 9091), not the function's own port",
    ]);
    expect(monitoringProblems([functions[0], podMonitor({ portNumber: 8012 })])).toEqual([
      "PodMonitor functions: scrapes premiere-issue-token's queue-proxy (port 8012), not the function's own port",
    ]);
    expect(monitoringProblems([functions[0], podMonitor({ port: 'http1' })])).toEqual([
      'PodMonitor functions: premiere-issue-token\'s pods have no port "http1" (Knative names the user container\'s port user-port)',
    ]);
  });

  it('wants the scraper let in on the scraped port when policies isolate the pods', () => {
    expect(monitoringProblems([functions[0], policy([fromKnative]), podMonitor({ port: 'user-port' })])).toEqual([
      'PodMonitor functions: Prometheus (namespace {"kubernetes.io/metadata.name":"monitoring"}) cannot reach premiere-issue-token\'s pods on port 8080: no NetworkPolicy allows it',
    ]);
    expect(
      monitoringProblems([...functions, policy([fromKnative, fromMonitoring]), podMonitor({ port: 'user-port' })]),
    ).toEqual([]);
    expect(monitoringProblems([...functions, podMonitor({ port: 'user-port' })])).toEqual([]);
  });

  it('wants every function scraped once there is a PodMonitor', () => {
    const narrow = podMonitor({ port: 'user-port' });
    narrow.spec.selector = { matchLabels: { 'premiere.dev/function': 'premiere-issue-token' } };
    expect(monitoringProblems([...functions, narrow])).toEqual([
      'premiere-render-catalog: no PodMonitor selects its pods, so it is not scraped',
    ]);
  });
});

const helm = findHelm();
(helm || process.env.CI ? describe : describe.skip)('the chart’s monitoring', () => {
  const render = (args: string[]) => renderChart(helm!, args);

  it('with the PodMonitor and the network policies on, Prometheus in namespace monitoring scrapes every function’s own port', () => {
    const docs = render(['--set', 'metrics.podMonitor.enabled=true']);
    const monitors = docs.filter((d) => d.kind === 'PodMonitor');
    expect(monitors).toHaveLength(1);
    expect(docs.filter((d) => d.kind === 'ServiceMonitor')).toEqual([]);
    expect((monitors[0] as Doc).spec.podMetricsEndpoints).toEqual([
      { port: 'user-port', path: '/metrics', interval: '30s' },
    ]);
    expect(docs.some((d) => d.kind === 'NetworkPolicy')).toBe(true);
    expect(monitoringProblems(docs)).toEqual([]);
    // Only the scraper's namespace is let in.
    expect(
      monitoringProblems(docs, { ...DEFAULT_SCRAPER, namespaceLabels: { 'kubernetes.io/metadata.name': 'default' } }),
    ).toHaveLength(5);
  });

  it('lets in the namespace metrics.podMonitor.scraper names, and the pods it names', () => {
    const docs = render([
      '--set',
      'metrics.podMonitor.enabled=true',
      '--set',
      'metrics.podMonitor.scraper.namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=observability',
      '--set',
      'metrics.podMonitor.scraper.podSelector.matchLabels.app\\.kubernetes\\.io/name=prometheus',
    ]);
    const observability = {
      namespaceLabels: { 'kubernetes.io/metadata.name': 'observability' },
      podLabels: { 'app.kubernetes.io/name': 'prometheus' },
    };
    expect(monitoringProblems(docs, observability)).toEqual([]);
    expect(
      monitoringProblems(docs, { ...observability, podLabels: { 'app.kubernetes.io/name': 'grafana' } }),
    ).toHaveLength(5);
    expect(monitoringProblems(docs)).toHaveLength(5);
  });

  it('without the PodMonitor, the functions’ pods stay closed to Prometheus', () => {
    const docs = render([]);
    expect(docs.filter((d) => d.kind === 'PodMonitor')).toEqual([]);
    const functions = docs.filter((d) => d.kind === 'Service' && d.apiVersion === 'serving.knative.dev/v1');
    expect(
      functions.every((f) => !ingressAllowed(docs, functionPod(f), { ...DEFAULT_SCRAPER, sameNamespace: false }, 8080)),
    ).toBe(true);
  });

  it('refuses the old metrics.serviceMonitor, saying why', () => {
    let error = '';
    try {
      execFileSync(
        helm!,
        ['template', 'premiere', CHART, '--kube-version', KUBE_VERSION, '--set', 'metrics.serviceMonitor.enabled=true'],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
      );
    } catch (err) {
      error = String((err as { stderr?: string }).stderr);
    }
    expect(error).toContain('metrics.serviceMonitor is replaced by metrics.podMonitor');
  });

  it('the edge still never serves /metrics', () => {
    expect(loadRoutes().blocked).toContain('/metrics');
  });
});

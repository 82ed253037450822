import type { Recorder } from './recorder';

export interface PodSample {
  t: number;
  service: string;
  pods: number;
}

/**
 * Against a cluster: the running pods of every Knative Service in `namespace`, once every two
 * seconds (scale up in the burst, and back to zero after it), read from the Kubernetes API with
 * the current kubeconfig.
 */
export async function watchPods(
  namespace: string,
  rec: Recorder,
  log: (line: string) => void,
): Promise<{ samples: PodSample[]; stop(): void }> {
  // An ES module: loaded only when a cluster is watched.
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const samples: PodSample[] = [];
  const seen = new Set<string>(); // a Service scaled to zero has no pods left to list
  let warned = false;
  const sample = async () => {
    try {
      const { items } = await core.listNamespacedPod({ namespace, labelSelector: 'serving.knative.dev/service' });
      const counts = new Map<string, number>([...seen].map((s) => [s, 0]));
      for (const pod of items) {
        const service = pod.metadata?.labels?.['serving.knative.dev/service'];
        if (!service) continue;
        seen.add(service);
        counts.set(
          service,
          (counts.get(service) ?? 0) + (pod.status?.phase === 'Running' && !pod.metadata?.deletionTimestamp ? 1 : 0),
        );
      }
      const t = Math.round(rec.now() / 100) / 10;
      for (const [service, pods] of counts) samples.push({ t, service, pods });
    } catch (err) {
      if (!warned) log(`cannot read pods in namespace ${namespace}: ${(err as Error).message}`);
      warned = true;
    }
  };
  await sample();
  const timer = setInterval(() => void sample(), 2_000);
  return { samples, stop: () => clearInterval(timer) };
}

import { loadConfig, runtimeEnv } from '@premiere/runtime';
import { findHelm, renderChart } from '../src/helm';

/**
 * The replicated Redis (redis.replication) holds together: the functions ask exactly the
 * StatefulSet's sentinels for the primary under the name the sentinels monitor, with the password
 * the nodes and sentinels are given; every node logs to AOF on its own volume; the NetworkPolicy
 * lets the nodes and sentinels reach one another; a disruption takes one node at a time.
 *
 * Needs helm: skipped without it, except under CI (CI=true), where it fails.
 */
type Doc = Record<string, any>;
const helm = findHelm();
const byKind = (docs: Doc[], kind: string, name: string) => docs.find((d) => d.kind === kind && d.metadata.name === name);

(helm || process.env.CI ? describe : describe.skip)('the replicated Redis (redis.replication)', () => {
  const docs = helm ? (renderChart(helm, ['--set', 'redis.replication.enabled=true', '--namespace', 'tickets']) as Doc[]) : [];
  const sts = byKind(docs, 'StatefulSet', 'premiere-redis-ha');
  const scripts = byKind(docs, 'ConfigMap', 'premiere-redis-ha-scripts')?.data as Record<string, string>;
  const functions = docs.filter((d) => d.kind === 'Service' && d.apiVersion === 'serving.knative.dev/v1');
  const envOf = (fn: Doc) => fn.spec.template.spec.containers[0].env as { name: string; value?: string; valueFrom?: Doc }[];

  it('replaces the single Redis: three pods, each a node and a sentinel, found by a headless Service', () => {
    expect(byKind(docs, 'StatefulSet', 'premiere-redis')).toBeUndefined();
    expect(sts.spec.replicas).toBe(3);
    expect(sts.spec.template.spec.containers.map((c: Doc) => [c.name, c.ports[0].containerPort])).toEqual([
      ['redis', 6379],
      ['sentinel', 26379],
    ]);
    const service = byKind(docs, 'Service', sts.spec.serviceName);
    expect(service.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });
    expect(service.spec.selector).toEqual(sts.spec.selector.matchLabels);
  });

  it('gives every function the StatefulSet’s sentinels, the name they monitor and their password, which the runtime accepts', () => {
    const pods = [0, 1, 2].map((i) => `premiere-redis-ha-${i}.${sts.spec.serviceName}.tickets.svc.cluster.local`);
    const monitored = /sentinel monitor (\S+) \$1 6379 2/.exec(scripts['sentinel.sh'])?.[1];
    expect(monitored).toBe('premiere');
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      const env = Object.fromEntries(envOf(fn).map((e) => [e.name, e]));
      const config = loadConfig(runtimeEnv, { REDIS_URL: 'redis://:pw@premiere-redis-ha:6379', DATABASE_URL: 'postgres://db/x', K_SINK: 'http://broker', REDIS_SENTINELS: env.REDIS_SENTINELS.value, REDIS_SENTINEL_MASTER: env.REDIS_SENTINEL_MASTER.value });
      expect(config.REDIS_SENTINELS).toEqual(pods.map((host) => ({ host, port: 26379 })));
      expect(config.REDIS_SENTINEL_MASTER).toBe(monitored);
      expect(env.REDIS_SENTINEL_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: 'premiere-backing', key: 'REDIS_PASSWORD' });
    }
    for (const c of sts.spec.template.spec.containers) {
      expect(c.env.find((e: Doc) => e.name === 'REDIS_PASSWORD').valueFrom.secretKeyRef).toEqual({ name: 'premiere-backing', key: 'REDIS_PASSWORD' });
    }
    // The single Redis's functions have none of it.
    const single = renderChart(helm!, []) as Doc[];
    for (const fn of single.filter((d) => d.kind === 'Service' && d.apiVersion === 'serving.knative.dev/v1')) {
      expect(envOf(fn).map((e) => e.name)).not.toContain('REDIS_SENTINELS');
    }
  });

  it('logs every write to AOF on each node’s own volume, with the password in memory only', () => {
    expect(scripts['redis.sh']).toMatch(/^appendonly yes$/m);
    expect(scripts['redis.sh']).toMatch(/^masterauth "\$REDIS_PASSWORD"$/m);
    expect(sts.spec.volumeClaimTemplates[0].metadata.name).toBe('data');
    const volumes = Object.fromEntries(sts.spec.template.spec.volumes.map((v: Doc) => [v.name, v]));
    expect(volumes.config.emptyDir.medium).toBe('Memory');
    expect(volumes.sentinel.emptyDir.medium).toBe('Memory');
    for (const c of sts.spec.template.spec.containers) expect(c.command.join(' ')).not.toContain('PASSWORD');
  });

  it('lets the nodes and sentinels reach one another, and the functions reach both', () => {
    const policy = byKind(docs, 'NetworkPolicy', 'premiere-redis');
    expect(policy.spec.podSelector.matchLabels).toEqual(sts.spec.selector.matchLabels);
    const [rule] = policy.spec.ingress;
    expect(rule.ports.map((p: Doc) => p.port)).toEqual([6379, 26379]);
    expect(rule.from).toContainEqual({ podSelector: { matchLabels: sts.spec.selector.matchLabels } });
    expect(rule.from).toContainEqual({ podSelector: { matchExpressions: [{ key: 'premiere.dev/function', operator: 'Exists' }] } });
  });

  it('takes one node at a time on a disruption, and spreads the nodes over machines', () => {
    const pdb = byKind(docs, 'PodDisruptionBudget', 'premiere-redis-ha');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: sts.spec.selector.matchLabels } });
    expect(sts.spec.template.spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm.topologyKey).toBe('kubernetes.io/hostname');
    const hard = renderChart(helm!, ['--set', 'redis.replication.enabled=true', '--set', 'redis.replication.antiAffinity=hard']) as Doc[];
    expect(byKind(hard, 'StatefulSet', 'premiere-redis-ha').spec.template.spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
  });
});

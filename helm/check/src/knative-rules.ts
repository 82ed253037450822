/**
 * What Knative Serving's admission webhook refuses beyond its CRD schema (../shared/knative-notes.md):
 * reserved environment variables and ports, one container port named http1, h2c or nothing,
 * probes that name no other port, security settings on the container (the pod-level
 * securityContext is off by default), and automountServiceAccountToken set only to false.
 */
const RESERVED_ENV = new Set(['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION']);
const RESERVED_PORTS = new Set([8012, 8013, 8022, 8008, 9090, 9091]);

interface Container {
  name?: string;
  env?: { name: string }[];
  ports?: { name?: string; containerPort?: number; protocol?: string }[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  securityContext?: Record<string, unknown> & {
    capabilities?: { drop?: string[] };
    seccompProfile?: { type?: string };
  };
}
interface Probe {
  httpGet?: { port?: number | string };
  tcpSocket?: { port?: number | string };
  grpc?: { port?: number };
}

export function knativeServiceProblems(doc: Record<string, any>): string[] {
  if (doc.apiVersion !== 'serving.knative.dev/v1' || doc.kind !== 'Service') return [];
  const problems: string[] = [];
  const spec = doc.spec?.template?.spec ?? {};
  if (spec.securityContext && Object.keys(spec.securityContext).length > 0) {
    problems.push(
      'the pod-level securityContext is refused unless kubernetes.podspec-securitycontext is on; set it on the container',
    );
  }
  // Knative keeps automountServiceAccountToken only when it is false; true is refused.
  if (spec.automountServiceAccountToken === true)
    problems.push('automountServiceAccountToken may only be set to false (leave it out for the default, mounted)');
  const containers: Container[] = spec.containers ?? [];
  const portsDeclared = containers.flatMap((c) => c.ports ?? []);
  if (portsDeclared.length > 1) problems.push(`at most one container port, found ${portsDeclared.length}`);
  for (const c of containers) {
    const where = `container ${c.name ?? '?'}`;
    for (const e of c.env ?? [])
      if (RESERVED_ENV.has(e.name)) problems.push(`${where}: env ${e.name} is reserved by Knative`);
    for (const p of c.ports ?? []) {
      if (p.name && !['http1', 'h2c'].includes(p.name))
        problems.push(`${where}: port name "${p.name}" must be http1, h2c or empty`);
      if (p.protocol && p.protocol !== 'TCP') problems.push(`${where}: port protocol must be TCP`);
      if (p.containerPort && RESERVED_PORTS.has(p.containerPort))
        problems.push(`${where}: port ${p.containerPort} is reserved by the queue-proxy`);
    }
    const ownPort = c.ports?.[0];
    for (const [kind, probe] of Object.entries({
      readinessProbe: c.readinessProbe,
      livenessProbe: c.livenessProbe,
      startupProbe: c.startupProbe,
    })) {
      const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
      if (port !== undefined && port !== ownPort?.containerPort && port !== ownPort?.name) {
        problems.push(`${where}: ${kind} names port ${port}, not the container's own`);
      }
    }
    const sc = c.securityContext ?? {};
    if (sc.runAsNonRoot !== true) problems.push(`${where}: securityContext.runAsNonRoot must be true`);
    if (sc.readOnlyRootFilesystem !== true)
      problems.push(`${where}: securityContext.readOnlyRootFilesystem must be true`);
    if (sc.allowPrivilegeEscalation !== false)
      problems.push(`${where}: securityContext.allowPrivilegeEscalation must be false`);
    if (!sc.capabilities?.drop?.includes('ALL'))
      problems.push(`${where}: securityContext.capabilities.drop must include ALL`);
    if (sc.seccompProfile?.type !== 'RuntimeDefault')
      problems.push(`${where}: securityContext.seccompProfile.type must be RuntimeDefault`);
  }
  return problems;
}

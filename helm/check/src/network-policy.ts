/**
 * Who may reach a pod, as the NetworkPolicy API defines it (ingress only, the only direction the
 * chart restricts): a pod no policy selects accepts everything; once one policy with Ingress
 * selects it, a connection is allowed only when some rule of some selecting policy names its
 * source and port. Enough to reason about rendered manifests without a cluster or a CNI.
 */
type Doc = Record<string, any>;
export type Labels = Record<string, string>;

export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: { key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }[];
}

/** A pod as the policies see it: its labels and its containers' ports. */
export interface Pod {
  labels: Labels;
  ports: { name?: string; containerPort: number }[];
}

/** Where a connection comes from: a pod (its labels) in a namespace (its labels). */
export interface Source {
  namespaceLabels: Labels;
  podLabels: Labels;
  /** In the policies' own namespace (a bare podSelector peer means this namespace only). */
  sameNamespace: boolean;
}

/** metav1.LabelSelector: every matchLabels entry and every expression hold; {} selects everything. */
export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const exact = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  return (
    exact &&
    (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const has = Object.prototype.hasOwnProperty.call(labels, key);
      switch (operator) {
        case 'In':
          return has && values.includes(labels[key]);
        case 'NotIn':
          return !has || !values.includes(labels[key]);
        case 'Exists':
          return has;
        case 'DoesNotExist':
          return !has;
        default:
          return false;
      }
    })
  );
}

const isPolicy = (d: Doc) => d?.apiVersion === 'networking.k8s.io/v1' && d?.kind === 'NetworkPolicy';
const restrictsIngress = (p: Doc) => (p.spec?.policyTypes ?? ['Ingress']).includes('Ingress');

function peerAdmits(peer: Doc, from: Source): boolean {
  if (peer.ipBlock) return false; // pod traffic is judged by selectors, not by a CIDR we cannot know
  if (peer.namespaceSelector)
    return (
      selects(peer.namespaceSelector, from.namespaceLabels) &&
      (!peer.podSelector || selects(peer.podSelector, from.podLabels))
    );
  return from.sameNamespace && selects(peer.podSelector, from.podLabels);
}

function portAdmits(rulePort: Doc, pod: Pod, port: number): boolean {
  if ((rulePort.protocol ?? 'TCP') !== 'TCP') return false;
  if (rulePort.port === undefined) return true;
  // A named port is the port of that name on the destination pod.
  if (typeof rulePort.port === 'string')
    return pod.ports.some((p) => p.name === rulePort.port && p.containerPort === port);
  return rulePort.endPort === undefined ? rulePort.port === port : port >= rulePort.port && port <= rulePort.endPort;
}

/** Whether `from` may open a TCP connection to `pod` on `port`, under the policies among `docs`. */
export function ingressAllowed(docs: Doc[], pod: Pod, from: Source, port: number): boolean {
  const policies = docs.filter((d) => isPolicy(d) && restrictsIngress(d) && selects(d.spec?.podSelector, pod.labels));
  if (policies.length === 0) return true;
  return policies.some((p) =>
    (p.spec.ingress ?? []).some((rule: Doc) => {
      const fromOk = !rule.from?.length || rule.from.some((peer: Doc) => peerAdmits(peer, from));
      const portOk = !rule.ports?.length || rule.ports.some((rp: Doc) => portAdmits(rp, pod, port));
      return fromOk && portOk;
    }),
  );
}

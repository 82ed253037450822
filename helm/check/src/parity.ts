import type { Eventing, Routes } from '@premiere/local-stack/declarations';
import { edgeLocations, type EdgeAction, type EdgeLocation } from '@premiere/local-stack/edge';

/**
 * The chart must route exactly as the local stack does: the Triggers and PingSources it renders
 * against the declared eventing the local broker reads, and its NGINX edge against the local edge.
 */
type Doc = Record<string, any>;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function eventingParity(docs: Doc[], eventing: Eventing, release: string): string[] {
  const problems: string[] = [];
  const triggers = docs.filter((d) => d.kind === 'Trigger');
  const pings = docs.filter((d) => d.kind === 'PingSource');
  if (triggers.length !== eventing.subscriptions.length)
    problems.push(`${triggers.length} Triggers for ${eventing.subscriptions.length} subscriptions`);
  if (pings.length !== eventing.schedules.length)
    problems.push(`${pings.length} PingSources for ${eventing.schedules.length} schedules`);
  for (const s of eventing.subscriptions) {
    const t = triggers.find((d) => d.metadata.name === `${release}-${s.name}`);
    if (!t) {
      problems.push(`subscription ${s.name}: no Trigger`);
      continue;
    }
    if (!same(t.spec.filter?.attributes, s.filter))
      problems.push(
        `subscription ${s.name}: Trigger filter ${JSON.stringify(t.spec.filter)} is not ${JSON.stringify(s.filter)}`,
      );
    if (t.spec.subscriber?.ref?.name !== `${release}-${s.function}` || t.spec.subscriber?.uri !== '/events')
      problems.push(`subscription ${s.name}: Trigger does not deliver to ${s.function} /events`);
    const { retry, backoffPolicy, backoffDelay } = t.spec.delivery ?? {};
    if (!same({ retry, backoffPolicy, backoffDelay }, eventing.delivery))
      problems.push(
        `subscription ${s.name}: Trigger delivery ${JSON.stringify(t.spec.delivery)} is not ${JSON.stringify(eventing.delivery)}`,
      );
    if (!t.spec.delivery?.deadLetterSink) problems.push(`subscription ${s.name}: Trigger has no dead-letter sink`);
  }
  for (const s of eventing.schedules) {
    const p = pings.find((d) => d.metadata.name === `${release}-${s.name}`);
    if (!p) {
      problems.push(`schedule ${s.name}: no PingSource`);
      continue;
    }
    if (p.spec.schedule !== s.schedule)
      problems.push(`schedule ${s.name}: PingSource fires "${p.spec.schedule}", not "${s.schedule}"`);
    if (!same(JSON.parse(p.spec.data), s.data)) problems.push(`schedule ${s.name}: PingSource sends ${p.spec.data}`);
    if (p.spec.sink?.ref?.name !== `${release}-${s.function}` || p.spec.sink?.uri !== '/events')
      problems.push(`schedule ${s.name}: PingSource does not fire ${s.function} /events`);
  }
  return problems;
}

/** The chart's edge locations, in order, as the local edge describes its own (see edgeLocations). */
type ChartLocation = Omit<EdgeLocation, 'action'> & {
  action: EdgeAction | { kind: 'proxy-as-spelled'; function: string };
};
function chartLocations(conf: string, release: string): ChartLocation[] {
  const out: ChartLocation[] = [];
  // A body ends at its first '}', which for a refusal is inside its JSON: enough to read it.
  const re = /location\s+(=|~|\^~)?\s*(\S+)\s*\{([^}]*)\}/g;
  const kinds = { '=': 'exact', '~': 'regex', '^~': 'final-prefix' } as const;
  for (let m; (m = re.exec(conf));) {
    const body = m[3];
    const host = /set \$premiere_upstream http:\/\/([^.;]+)/.exec(body)?.[1];
    const fn = host?.slice(release.length + 1) ?? '';
    const refusal = /return 404 '\{"error":"([^"]*)"/.exec(body)?.[1];
    const action: ChartLocation['action'] = /return 200 /.test(body)
      ? { kind: 'self' }
      : refusal !== undefined
        ? { kind: 'refuse', error: refusal }
        : /rewrite \^ \/readyz break;/.test(body)
          ? { kind: 'health', function: fn }
          : // The function must be sent the path as normalised (see edge-config.yaml), not as spelled.
            /rewrite \^ \$uri break;/.test(body)
            ? { kind: 'proxy', function: fn }
            : { kind: 'proxy-as-spelled', function: fn };
    out.push({ match: kinds[m[1] as keyof typeof kinds] ?? 'prefix', pattern: m[2], action });
  }
  return out;
}

/**
 * The chart's NGINX edge has the same locations, in the same order, as the local edge makes from
 * routes.yaml, and every function it names is deployed. (How both then decide on real requests is
 * helm/check/test/edge-parity.test.ts's part: it runs nginx.)
 */
export function edgeParity(docs: Doc[], routes: Routes, release: string, functions: string[]): string[] {
  const conf: string | undefined = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === `${release}-edge`)
    ?.data?.['default.conf'];
  if (!conf) return ['no edge ConfigMap'];
  const chart = chartLocations(conf, release);
  const local = edgeLocations(routes);
  const problems: string[] = [];
  for (let i = 0; i < Math.max(chart.length, local.length); i++) {
    if (!same(chart[i], local[i]))
      problems.push(
        `location ${i + 1}: the chart's edge has ${JSON.stringify(chart[i] ?? 'none')}, the local edge ${JSON.stringify(local[i] ?? 'none')}`,
      );
  }
  for (const l of chart) {
    if ('function' in l.action && !functions.includes(l.action.function))
      problems.push(`location ${l.pattern} names ${l.action.function}, which is not deployed`);
  }
  return problems;
}

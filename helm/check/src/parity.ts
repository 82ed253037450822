import type { Eventing, Routes } from '@premiere/local-stack/dist/declarations';
import { resolveRoute } from '@premiere/local-stack/dist/edge';

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
  if (triggers.length !== eventing.subscriptions.length) problems.push(`${triggers.length} Triggers for ${eventing.subscriptions.length} subscriptions`);
  if (pings.length !== eventing.schedules.length) problems.push(`${pings.length} PingSources for ${eventing.schedules.length} schedules`);
  for (const s of eventing.subscriptions) {
    const t = triggers.find((d) => d.metadata.name === `${release}-${s.name}`);
    if (!t) {
      problems.push(`subscription ${s.name}: no Trigger`);
      continue;
    }
    if (!same(t.spec.filter?.attributes, s.filter)) problems.push(`subscription ${s.name}: Trigger filter ${JSON.stringify(t.spec.filter)} is not ${JSON.stringify(s.filter)}`);
    if (t.spec.subscriber?.ref?.name !== `${release}-${s.function}` || t.spec.subscriber?.uri !== '/events') problems.push(`subscription ${s.name}: Trigger does not deliver to ${s.function} /events`);
    const { retry, backoffPolicy, backoffDelay } = t.spec.delivery ?? {};
    if (!same({ retry, backoffPolicy, backoffDelay }, eventing.delivery)) problems.push(`subscription ${s.name}: Trigger delivery ${JSON.stringify(t.spec.delivery)} is not ${JSON.stringify(eventing.delivery)}`);
    if (!t.spec.delivery?.deadLetterSink) problems.push(`subscription ${s.name}: Trigger has no dead-letter sink`);
  }
  for (const s of eventing.schedules) {
    const p = pings.find((d) => d.metadata.name === `${release}-${s.name}`);
    if (!p) {
      problems.push(`schedule ${s.name}: no PingSource`);
      continue;
    }
    if (p.spec.schedule !== s.schedule) problems.push(`schedule ${s.name}: PingSource fires "${p.spec.schedule}", not "${s.schedule}"`);
    if (!same(JSON.parse(p.spec.data), s.data)) problems.push(`schedule ${s.name}: PingSource sends ${p.spec.data}`);
    if (p.spec.sink?.ref?.name !== `${release}-${s.function}` || p.spec.sink?.uri !== '/events') problems.push(`schedule ${s.name}: PingSource does not fire ${s.function} /events`);
  }
  return problems;
}

interface Location {
  kind: 'exact' | 'prefix' | 'final-prefix' | 'regex';
  pattern: string;
  body: string;
}

function locationsOf(conf: string): Location[] {
  const out: Location[] = [];
  const re = /location\s+(=|~|\^~)?\s*(\S+)\s*\{([^}]*)\}/g;
  const kinds = { '=': 'exact', '~': 'regex', '^~': 'final-prefix' } as const;
  for (let m; (m = re.exec(conf)); ) out.push({ kind: kinds[m[1] as keyof typeof kinds] ?? 'prefix', pattern: m[2], body: m[3] });
  return out;
}

/**
 * NGINX's choice of location: an exact match; else the longest prefix if it is ^~; else the first
 * matching regex; else the longest prefix.
 */
function nginxLocation(locations: Location[], path: string): Location | undefined {
  const exact = locations.find((l) => l.kind === 'exact' && l.pattern === path);
  if (exact) return exact;
  const prefix = locations
    .filter((l) => (l.kind === 'prefix' || l.kind === 'final-prefix') && path.startsWith(l.pattern))
    .sort((a, b) => b.pattern.length - a.pattern.length)[0];
  if (prefix?.kind === 'final-prefix') return prefix;
  return locations.find((l) => l.kind === 'regex' && new RegExp(l.pattern).test(path)) ?? prefix;
}

export function edgeParity(docs: Doc[], routes: Routes, release: string, functions: string[]): string[] {
  const conf: string | undefined = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === `${release}-edge`)?.data?.['default.conf'];
  if (!conf) return ['no edge ConfigMap'];
  const locations = locationsOf(conf);
  const paths = new Set(['/', '/nowhere', ...functions.map((f) => `${routes.health}/${f}`), `${routes.health}/nobody`, `${routes.health}/`, routes.health]);
  for (const p of [...routes.blocked, ...routes.routes.map((r) => r.prefix)]) for (const s of ['', '/', '/x/y', 'x', '-x']) paths.add(`${p}${s}`.replace('//', '/'));
  const problems: string[] = [];
  for (const path of paths) {
    // Compared by outcome: which function and path answer, or "not served" (404).
    const local = resolveRoute(routes, path);
    const expected = local && 'function' in local && functions.includes(local.function) ? local : 'not served';
    const loc = nginxLocation(locations, path);
    const host = /set \$premiere_upstream http:\/\/([^.;]+)/.exec(loc?.body ?? '')?.[1];
    const edge = host ? { function: host.slice(release.length + 1), path: /rewrite \^ (\S+) break/.exec(loc!.body)?.[1] ?? path } : 'not served';
    if (!same(edge, expected)) problems.push(`${path}: the chart's edge → ${JSON.stringify(edge)}, the local edge → ${JSON.stringify(expected)}`);
  }
  return problems;
}

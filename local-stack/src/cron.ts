/**
 * The five-field cron of Knative PingSource (minute hour day-of-month month day-of-week, UTC):
 * `*`, `N`, `A-B`, `*\/S`, `A-B/S` and comma lists. Like cron, when both day fields are restricted
 * a day matching either is a match.
 */
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
];

function parseField(text: string, f: (typeof FIELDS)[number]): Set<number> | null {
  if (text === '*') return null; // unrestricted
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`cron ${f.name} "${text}" is not understood`);
    const from = m[1] === '*' ? f.min : Number(m[2]);
    const to = m[1] === '*' ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? f.max : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (from < f.min || to > f.max || from > to || step < 1)
      throw new Error(`cron ${f.name} "${text}" is out of range ${f.min}-${f.max}`);
    for (let v = from; v <= to; v += step) values.add(f.name === 'day of week' && v === 7 ? 0 : v);
  }
  return values;
}

export type Cron = (at: Date) => boolean;

export function parseCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5)
    throw new Error(`cron "${expression}" must have 5 fields (minute hour day-of-month month day-of-week)`);
  const [minute, hour, dom, month, dow] = parts.map((p, i) => parseField(p, FIELDS[i]));
  const has = (set: Set<number> | null, v: number) => set === null || set.has(v);
  return (at) => {
    if (!has(minute, at.getUTCMinutes()) || !has(hour, at.getUTCHours()) || !has(month, at.getUTCMonth() + 1))
      return false;
    if (dom && dow) return dom.has(at.getUTCDate()) || dow.has(at.getUTCDay());
    return has(dom, at.getUTCDate()) && has(dow, at.getUTCDay());
  };
}

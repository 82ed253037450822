import { parseCron } from '@premiere/local-stack/cron';
import { FUNCTION_LABEL } from './security';

/**
 * Which functions can reach zero between the pings of their PingSources, computed from what the
 * chart renders. A ping is a request: Knative's autoscaler (KPA) scales a revision to zero once it
 * has seen no request for its stable window (plus `scale-down-delay`), then leaves the pod up to
 * `scale-to-zero-grace-period` (or the longer `scale-to-zero-pod-retention-period`) while the
 * activator takes over. A function whose pings come sooner than that, plus a minute at zero (less
 * is not worth a cold start, and a demo polling pods would hardly see it), never sleeps: it must
 * then be on purpose, its PingSource saying why (annotation premiere.dev/keeps-warm, from
 * `keepsWarm` in eventing.yaml).
 */
type Doc = Record<string, any>;

/** config-autoscaler's defaults in Knative Serving v1.22 (config/core/configmaps/autoscaler.yaml), by its keys. */
export const KNATIVE_AUTOSCALER_DEFAULTS = {
  'enable-scale-to-zero': 'true',
  'stable-window': '60s',
  'scale-to-zero-grace-period': '30s',
  'scale-to-zero-pod-retention-period': '0s',
  'scale-down-delay': '0s',
};
export type AutoscalerConfig = typeof KNATIVE_AUTOSCALER_DEFAULTS;
/** The least time at zero between two pings that counts as reaching zero. */
export const MIN_SECONDS_AT_ZERO = 60;
export const KEEPS_WARM_ANNOTATION = 'premiere.dev/keeps-warm';

/** A Go duration as Knative's annotations and ConfigMaps spell it (1h30m, 5m, 60s, 500ms), in seconds. */
export function durationSeconds(text: string): number {
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  const parts = [...String(text).matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (text === '0') return 0;
  if (!parts.length || parts.map((p) => p[0]).join('') !== text) throw new Error(`"${text}" is not a duration`);
  return parts.reduce((sum, [, n, unit]) => sum + Number(n) * units[unit], 0);
}

const WEEK_MINUTES = 7 * 24 * 60;

/** The minutes of a week (from Monday 00:00 UTC) at which any of the crons fires. */
function firings(schedules: string[]): number[] {
  const crons = schedules.map(parseCron);
  const monday = Date.UTC(2026, 0, 5); // a Monday
  const out: number[] = [];
  for (let m = 0; m < WEEK_MINUTES; m++) {
    const at = new Date(monday + m * 60_000);
    if (crons.some((c) => c(at))) out.push(m);
  }
  return out;
}

/** The shortest time between two firings, in seconds (the week wraps around); null when none fires. */
export function shortestGapSeconds(schedules: string[]): number | null {
  const minutes = firings(schedules);
  if (minutes.length === 0) return null;
  let gap = WEEK_MINUTES - minutes[minutes.length - 1] + minutes[0];
  for (let i = 1; i < minutes.length; i++) gap = Math.min(gap, minutes[i] - minutes[i - 1]);
  return gap * 60;
}

export interface Idleness {
  /** The function (premiere.dev/function), and its Knative Service. */
  function: string;
  service: string;
  reachesZero: boolean;
  /** Pods kept whatever happens (min-scale). */
  minScale: number;
  /** Seconds without a request before its last pod is gone. */
  secondsToZero: number;
  /** The shortest time between two of its pings (null: never pinged). */
  shortestGapSeconds: number | null;
  /** The PingSources that keep it from zero, with how often each fires and the reason it states. */
  keptWarmBy: { pingSource: string; everySeconds: number; reason?: string }[];
}

/** Every function's idleness under the rendered PingSources and autoscaling annotations. */
export function idleness(docs: Doc[], config: AutoscalerConfig = KNATIVE_AUTOSCALER_DEFAULTS): Idleness[] {
  const pings = docs.filter((d) => d?.apiVersion === 'sources.knative.dev/v1' && d?.kind === 'PingSource');
  return docs
    .filter(
      (d) =>
        d?.apiVersion === 'serving.knative.dev/v1' && d?.kind === 'Service' && d.metadata?.labels?.[FUNCTION_LABEL],
    )
    .map((fn) => {
      const annotations: Record<string, string> = fn.spec?.template?.metadata?.annotations ?? {};
      const knob = (key: string, fallback: string) =>
        durationSeconds(annotations[`autoscaling.knative.dev/${key}`] ?? fallback);
      const secondsToZero =
        knob('window', config['stable-window']) +
        knob('scale-down-delay', config['scale-down-delay']) +
        Math.max(
          durationSeconds(config['scale-to-zero-grace-period']),
          knob('scale-to-zero-pod-retention-period', config['scale-to-zero-pod-retention-period']),
        );
      const mine = pings.filter(
        (p) => p.spec?.sink?.ref?.kind === 'Service' && p.spec.sink.ref.name === fn.metadata.name,
      );
      const gap = shortestGapSeconds(mine.map((p) => p.spec.schedule));
      const minScale = Number(annotations['autoscaling.knative.dev/min-scale'] ?? 0);
      const tooSoon = (every: number | null) => every !== null && every - secondsToZero < MIN_SECONDS_AT_ZERO;
      const each = mine.map((p) => ({
        pingSource: p.metadata.name as string,
        everySeconds: shortestGapSeconds([p.spec.schedule])!,
        reason: p.metadata?.annotations?.[KEEPS_WARM_ANNOTATION] as string | undefined,
      }));
      // The ones too frequent on their own; several rare ones together may be too frequent too.
      const culprits = each.filter((p) => tooSoon(p.everySeconds));
      return {
        function: fn.metadata.labels[FUNCTION_LABEL],
        service: fn.metadata.name,
        reachesZero: config['enable-scale-to-zero'] === 'true' && minScale === 0 && !tooSoon(gap),
        minScale,
        secondsToZero,
        shortestGapSeconds: gap,
        keptWarmBy: !tooSoon(gap) ? [] : culprits.length ? culprits : each,
      };
    })
    .sort((a, b) => a.function.localeCompare(b.function));
}

const human = (s: number) => (s % 60 === 0 ? `${s / 60} min` : `${s} s`);

/** A function kept from zero by a schedule must be kept warm on purpose, its PingSource saying why. */
export function scaleToZeroProblems(docs: Doc[], config: AutoscalerConfig = KNATIVE_AUTOSCALER_DEFAULTS): string[] {
  return idleness(docs, config).flatMap((f) =>
    f.keptWarmBy
      .filter((p) => !p.reason)
      // The schedule's own name (eventing.yaml, values schedules.*): the PingSource's without the release.
      .map(
        (p) =>
          `PingSource ${p.pingSource} fires every ${human(p.everySeconds)}, but ${f.service} needs ${human(f.secondsToZero)} without requests to reach zero, and a minute there: make it rarer (values schedules.${p.pingSource.slice(f.service.length - f.function.length)}) or say why it keeps the function warm (keepsWarm in eventing.yaml)`,
      ),
  );
}

/** One line per function, for the demo and the docs: at zero between its pings, or warm and why. */
export function describeIdleness(items: Idleness[]): string[] {
  const width = Math.max(...items.map((i) => i.function.length));
  return items.map((i) => {
    const name = i.function.padEnd(width);
    if (i.minScale > 0) return `${name}  stays warm: min-scale ${i.minScale}`;
    const toZero = `at zero ${human(i.secondsToZero)} after its last request`;
    if (!i.reachesZero && i.keptWarmBy.length === 0)
      return `${name}  stays warm: scale to zero is off (config-autoscaler enable-scale-to-zero)`;
    if (i.reachesZero)
      return `${name}  reaches zero: ${toZero}; ${i.shortestGapSeconds === null ? 'no schedule wakes it' : `its schedules wake it at most every ${human(i.shortestGapSeconds)}`}`;
    const why = i.keptWarmBy
      .map((p) => `${p.pingSource} fires every ${human(p.everySeconds)}${p.reason ? `: ${p.reason}` : ''}`)
      .join('; ');
    return `${name}  stays warm: ${why} (it would be ${toZero})`;
  });
}

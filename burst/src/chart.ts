import { Html } from '@premiere/web';

export interface Series {
  name: string;
  points: [number, number][];
  dashed?: boolean;
  /** Points, not a line. */
  dots?: boolean;
}

export interface Axes {
  /** What each axis measures, with its unit. */
  x: string;
  y: string;
  /** The y axis counts things (visitors, seats, calls): ticks at whole numbers only. */
  counts?: boolean;
}

const COLORS = ['#0a66c2', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490'];
const W = 560;
const PAD = { l: 52, r: 16, t: 44 };
const PLOT_H = 150;
const BOTTOM = PAD.t + PLOT_H;
/** The legend's rows start below the x axis's ticks and label, so they never cross a line. */
const LEGEND_TOP = BOTTOM + 44;
const LEGEND_ROW = 16;
/** An 11 px system-ui character is about 6.2 px wide; laid out generously, so entries never touch. */
const textWidth = (s: string) => s.length * 6.6;

/** Ticks from 0 past `max` at a step of 1, 2 or 5 × 10ⁿ (about four of them); whole steps for counts. */
export function ticks(max: number, counts = false): number[] {
  const rough = (max > 0 ? max : 1) / 4;
  const p = 10 ** Math.floor(Math.log10(rough));
  let step = [1, 2, 5, 10].map((m) => m * p).find((c) => c >= rough * (1 - 1e-9))!;
  if (counts) step = Math.max(1, Math.ceil(step));
  const n = Math.max(1, Math.ceil((max > 0 ? max : 1) / step - 1e-9));
  return Array.from({ length: n + 1 }, (_, i) => +(i * step).toPrecision(12));
}

const label = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 2 });
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** The legend, in rows below the plot: a swatch drawn as its series is (line, dashes or dot), then the name. */
function legend(series: Series[]): { svg: string; height: number } {
  let [x, row] = [PAD.l, 0];
  const items = series.map((s, i) => {
    const width = 22 + textWidth(s.name);
    if (x > PAD.l && x + width > W - PAD.r) [x, row] = [PAD.l, row + 1];
    const [c, y] = [COLORS[i % COLORS.length], LEGEND_TOP + row * LEGEND_ROW];
    const swatch = s.dots
      ? `<circle cx="${x + 8}" cy="${y - 4}" r="3" fill="${c}"/>`
      : `<line x1="${x}" x2="${x + 16}" y1="${y - 4}" y2="${y - 4}" stroke="${c}" stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ''}/>`;
    const item = `<g>${swatch}<text x="${x + 22}" y="${y}">${esc(s.name)}</text></g>`;
    x += width + 18;
    return item;
  });
  return { svg: `<g class="legend">${items.join('')}</g>`, height: LEGEND_TOP + row * LEGEND_ROW + 8 };
}

/** A chart as inline SVG: lines (or dots), both axes ticked and labelled with their units, a legend below. No script, no server. */
export function chart(title: string, series: Series[], axes: Axes): Html {
  const all = series.flatMap((s) => s.points);
  const xTicks = ticks(Math.max(0, ...all.map((p) => p[0])));
  const yTicks = ticks(Math.max(0, ...all.map((p) => p[1])), axes.counts);
  const [xMax, yMax] = [xTicks.at(-1)!, yTicks.at(-1)!];
  const x = (v: number) => PAD.l + (v / xMax) * (W - PAD.l - PAD.r);
  const y = (v: number) => BOTTOM - (v / yMax) * PLOT_H;
  const grid = yTicks
    .map(
      (v) =>
        `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${PAD.l - 6}" y="${y(v) + 4}" text-anchor="end">${label(v)}</text>`,
    )
    .join('');
  const xLabels = xTicks
    .map((v) => `<text x="${x(v)}" y="${BOTTOM + 16}" text-anchor="middle">${label(v)}</text>`)
    .join('');
  const body = series
    .map((s, i) => {
      const c = COLORS[i % COLORS.length];
      if (s.dots)
        return s.points
          .map(
            ([a, b]) => `<circle cx="${x(a).toFixed(1)}" cy="${y(b).toFixed(1)}" r="2" fill="${c}" fill-opacity=".6"/>`,
          )
          .join('');
      const d = s.points.map(([a, b], j) => `${j ? 'L' : 'M'}${x(a).toFixed(1)},${y(b).toFixed(1)}`).join('');
      return `<path d="${d}" fill="none" stroke="${c}" stroke-width="1.8"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`;
    })
    // The first series on top: where it meets a limit or a second count (5xx and timeouts both 0), it stays visible.
    .reverse()
    .join('');
  const key = legend(series);
  return new Html(
    `<figure><svg viewBox="0 0 ${W} ${key.height}" width="100%" role="img" aria-label="${esc(title)}" font-size="11" font-family="system-ui,sans-serif">` +
      `<text x="4" y="18" font-weight="700" font-size="13">${esc(title)}</text>` +
      `<text x="4" y="${PAD.t - 14}" fill="#666">${esc(axes.y)}</text>${grid}${xLabels}` +
      `<text x="${W - PAD.r}" y="${BOTTOM + 32}" text-anchor="end" fill="#666">${esc(axes.x)}</text>` +
      `<line x1="${PAD.l}" x2="${PAD.l}" y1="${PAD.t}" y2="${BOTTOM}" stroke="#999"/><line x1="${PAD.l}" x2="${W - PAD.r}" y1="${BOTTOM}" y2="${BOTTOM}" stroke="#999"/>` +
      `${body}${key.svg}</svg></figure>`,
  );
}

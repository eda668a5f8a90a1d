/**
 * The SVG charts of `npm run bench` (bench/suite/report.ts), written by hand: a handful of panels,
 * each with its axes, grid, lines and points. No chart library: the output is a plain file a
 * browser, GitHub or an image viewer shows, and a diff between two runs stays readable.
 */

export interface Point {
  x: number;
  y: number | null;
}

export interface Series {
  name: string;
  color: string;
  points: Point[];
}

/** A vertical (x) or horizontal (y) reference line: the breaking point, a target; its label left of it or right. */
export interface Mark {
  axis: 'x' | 'y';
  at: number;
  label: string;
  color: string;
  labelRight?: boolean;
}

interface Scale {
  min: number;
  max: number;
  log: boolean;
  ticks: number[];
  format(value: number): string;
}

interface Panel {
  left: number;
  top: number;
  width: number;
  height: number;
  title: string;
  x: Scale;
  y: Scale;
  yLabel: string;
  xLabel: string;
  series: Series[];
  marks?: Mark[];
}

export const COLORS = { throughput: '#1f77b4', p50: '#2ca02c', p95: '#ff7f0e', p99: '#d62728', heap: '#9467bd', mark: '#7f7f7f', breaking: '#8c564b' };

const FONT = 'font-family="Helvetica, Arial, sans-serif"';
/** Below the title and the legend. */
const TOP = 100;

export interface SweepLevel {
  concurrency: number;
  req_per_s: number;
  latency_ms: { p50: number; p95: number; p99: number };
}

/**
 * Two rows of panels, one column per endpoint: throughput (req/s, linear) above, p50/p95/p99
 * (ms, log scale: 1 ms and 1 s on one axis) below; concurrency on a log2 axis 1…256.
 */
export function sweepChart(endpoints: { name: string; levels: SweepLevel[]; breakingPoint: number | null }[], targetMs: number): string {
  const width = 380;
  const height = 210;
  const x = logScale(1, 256, 2, [1, 2, 4, 8, 16, 32, 64, 128, 256], String);
  const latencies = endpoints.flatMap((e) => e.levels.flatMap((l) => [l.latency_ms.p50, l.latency_ms.p99])).filter((v) => v > 0);
  const latency = logScale(Math.min(1, ...latencies), Math.max(targetMs * 2, ...latencies), 10, [], milliseconds);
  const panels = endpoints.flatMap((endpoint, column) => {
    const left = 70 + column * (width + 90);
    const at = (pick: (l: SweepLevel) => number) => endpoint.levels.map((l) => ({ x: l.concurrency, y: pick(l) }));
    const breaking: Mark[] = endpoint.breakingPoint ? [{ axis: 'x', at: endpoint.breakingPoint, label: 'breaking point', color: COLORS.breaking }] : [];
    return [
      panel({
        left, top: TOP, width, height, title: `${endpoint.name}: throughput`, x, xLabel: 'concurrent connections',
        y: linearScale(Math.max(10, ...endpoint.levels.map((l) => l.req_per_s))), yLabel: 'req/s',
        series: [{ name: 'req/s', color: COLORS.throughput, points: at((l) => l.req_per_s) }],
        marks: breaking,
      }),
      panel({
        left, top: TOP + height + 80, width, height, title: `${endpoint.name}: latency`, x, xLabel: 'concurrent connections',
        y: latency, yLabel: 'ms (log)',
        series: [
          { name: 'p50', color: COLORS.p50, points: at((l) => l.latency_ms.p50) },
          { name: 'p95', color: COLORS.p95, points: at((l) => l.latency_ms.p95) },
          { name: 'p99', color: COLORS.p99, points: at((l) => l.latency_ms.p99) },
        ],
        marks: [...breaking, { axis: 'y', at: targetMs, label: `p95 target ${targetMs} ms`, color: COLORS.mark }],
      }),
    ];
  });
  const legend = legendRow(70, 55, [
    ['throughput', COLORS.throughput], ['p50', COLORS.p50], ['p95', COLORS.p95], ['p99', COLORS.p99],
    ['breaking point', COLORS.breaking, true], ['p95 target', COLORS.mark, true],
  ]);
  return document(70 + endpoints.length * (width + 90), TOP + 2 * (height + 80), 'Throughput and latency against concurrency', [legend, ...panels]);
}

export interface SoakSample {
  t_s: number;
  rss_mb: number;
  heap_mb: number | null;
  req_per_s: number;
  p50_ms: number;
  p99_ms: number;
}

/** Memory, latency and throughput of the soak against time; dotted lines split it in thirds. */
export function soakChart(samples: SoakSample[], seconds: number): string {
  const width = 760;
  const height = 170;
  const inMinutes = seconds > 180;
  const x = linearScale(seconds, inMinutes ? (s) => String(s / 60) : String, inMinutes ? 60 : undefined);
  const xLabel = inMinutes ? 'minutes' : 'seconds';
  const thirds: Mark[] = [
    { axis: 'x', at: seconds / 3, label: 'second third', color: COLORS.mark, labelRight: true },
    { axis: 'x', at: (2 * seconds) / 3, label: 'last third', color: COLORS.mark, labelRight: true },
  ];
  const at = (pick: (s: SoakSample) => number | null) => samples.map((s) => ({ x: s.t_s, y: pick(s) }));
  const memory = Math.max(...samples.flatMap((s) => [s.rss_mb, s.heap_mb ?? 0]));
  const panels = [
    panel({
      left: 70, top: TOP, width, height, title: 'API memory', x, xLabel, y: linearScale(memory), yLabel: 'MB', marks: thirds,
      series: [
        { name: 'RSS', color: COLORS.throughput, points: at((s) => s.rss_mb) },
        { name: 'heap used', color: COLORS.heap, points: at((s) => s.heap_mb) },
      ],
    }),
    panel({
      left: 70, top: TOP + height + 70, width, height, title: 'latency per interval', x, xLabel, yLabel: 'ms', marks: thirds,
      y: linearScale(Math.max(...samples.map((s) => s.p99_ms))),
      series: [
        { name: 'p50', color: COLORS.p50, points: at((s) => s.p50_ms) },
        { name: 'p99', color: COLORS.p99, points: at((s) => s.p99_ms) },
      ],
    }),
    panel({
      left: 70, top: TOP + 2 * (height + 70), width, height, title: 'throughput per interval', x, xLabel, yLabel: 'req/s', marks: thirds,
      y: linearScale(Math.max(...samples.map((s) => s.req_per_s))),
      series: [{ name: 'req/s', color: COLORS.throughput, points: at((s) => s.req_per_s) }],
    }),
  ];
  const legend = legendRow(70, 55, [['RSS, req/s', COLORS.throughput], ['heap used', COLORS.heap], ['p50', COLORS.p50], ['p99', COLORS.p99], ['thirds', COLORS.mark, true]]);
  return document(width + 110, TOP + 3 * (height + 70), 'Soak: memory, latency and throughput against time', [legend, ...panels]);
}

function panel(p: Panel): string {
  const px = (value: number) => p.left + position(p.x, value) * p.width;
  const py = (value: number) => p.top + (1 - position(p.y, value)) * p.height;
  const bottom = p.top + p.height;
  const parts = [`<g>`, `<text x="${p.left}" y="${p.top - 10}" font-size="14" font-weight="bold">${escape(p.title)}</text>`];
  for (const tick of p.y.ticks) {
    parts.push(`<line x1="${p.left}" x2="${p.left + p.width}" y1="${r(py(tick))}" y2="${r(py(tick))}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${p.left - 6}" y="${r(py(tick) + 4)}" font-size="11" text-anchor="end">${escape(p.y.format(tick))}</text>`);
  }
  for (const tick of p.x.ticks) {
    parts.push(`<line x1="${r(px(tick))}" x2="${r(px(tick))}" y1="${p.top}" y2="${bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${r(px(tick))}" y="${bottom + 16}" font-size="11" text-anchor="middle">${escape(p.x.format(tick))}</text>`);
  }
  parts.push(`<rect x="${p.left}" y="${p.top}" width="${p.width}" height="${p.height}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${p.left + p.width / 2}" y="${bottom + 34}" font-size="11" text-anchor="middle">${escape(p.xLabel)}</text>`);
  parts.push(`<text transform="translate(${p.left - 48} ${p.top + p.height / 2}) rotate(-90)" font-size="11" text-anchor="middle">${escape(p.yLabel)}</text>`);
  for (const mark of p.marks ?? []) parts.push(markLine(p, mark, px, py));
  for (const series of p.series) {
    const points = series.points.filter((point): point is { x: number; y: number } => point.y !== null && (!p.y.log || point.y > 0));
    const path = points.map((point) => `${r(px(point.x))},${r(py(point.y))}`).join(' ');
    if (points.length > 1) parts.push(`<polyline points="${path}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
    for (const point of points) {
      const tip = `${series.name} at ${p.x.format(point.x)}: ${round(point.y)}`;
      parts.push(`<circle cx="${r(px(point.x))}" cy="${r(py(point.y))}" r="3" fill="${series.color}"><title>${escape(tip)}</title></circle>`);
    }
  }
  parts.push('</g>');
  return parts.join('\n');
}

function markLine(p: Panel, mark: Mark, px: (v: number) => number, py: (v: number) => number): string {
  const style = `stroke="${mark.color}" stroke-width="1.5" stroke-dasharray="5 4"`;
  const label = (x: number, y: number, anchor: string) =>
    `<text x="${r(x)}" y="${r(y)}" font-size="10" fill="${mark.color}" text-anchor="${anchor}">${escape(mark.label)}</text>`;
  if (mark.axis === 'x') {
    const x = px(mark.at);
    const side = mark.labelRight ? label(x + 4, p.top + 12, 'start') : label(x - 4, p.top + 12, 'end');
    return `<line x1="${r(x)}" x2="${r(x)}" y1="${p.top}" y2="${p.top + p.height}" ${style}/>\n${side}`;
  }
  const y = py(Math.min(Math.max(mark.at, p.y.min), p.y.max));
  return `<line x1="${p.left}" x2="${p.left + p.width}" y1="${r(y)}" y2="${r(y)}" ${style}/>\n${label(p.left + 4, y - 4, 'start')}`;
}

/** [name, color, dashed] entries in one row, each as wide as its name. */
function legendRow(left: number, top: number, entries: [string, string, boolean?][]): string {
  let x = left;
  return entries
    .map(([name, color, dashed]) => {
      const dash = dashed ? ' stroke-dasharray="5 4"' : '';
      const entry = `<line x1="${x}" x2="${x + 24}" y1="${top}" y2="${top}" stroke="${color}" stroke-width="2"${dash}/><text x="${x + 30}" y="${top + 4}" font-size="12">${escape(name)}</text>`;
      x += 60 + name.length * 7;
      return entry;
    })
    .join('\n');
}

function document(width: number, height: number, title: string, body: string[]): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<title>${escape(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="70" y="26" font-size="17" font-weight="bold">${escape(title)}</text>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}

/** Where a value sits between the scale's ends, 0 to 1. */
function position(scale: Scale, value: number): number {
  const f = scale.log ? Math.log : (v: number) => v;
  return (f(value) - f(scale.min)) / (f(scale.max) - f(scale.min));
}

/** 0 to a round number above max, ticks at 1, 2 or 5 × 10^k (or multiples of `unit`). */
function linearScale(max: number, format: (v: number) => string = thousands, unit?: number): Scale {
  const raw = Math.max(max, 1e-9) / 5;
  const magnitude = unit ?? 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10, 20, 50].map((m) => m * magnitude).find((s) => s >= raw) ?? raw);
  const top = Math.ceil(max / step) * step || step;
  const ticks = Array.from({ length: Math.round(top / step) + 1 }, (_, i) => i * step);
  return { min: 0, max: top, log: false, ticks, format };
}

/** A log axis; without ticks, one per power of the base between the (rounded out) ends. */
function logScale(min: number, max: number, base: number, ticks: number[], format: (v: number) => string): Scale {
  const low = base ** Math.floor(Math.log(min) / Math.log(base) + 1e-9);
  const high = base ** Math.ceil(Math.log(max) / Math.log(base) - 1e-9);
  const powers = [];
  for (let t = low; t <= high * 1.0001; t *= base) powers.push(t);
  return { min: low, max: high, log: true, ticks: ticks.length > 0 ? ticks : powers, format };
}

function milliseconds(value: number): string {
  return value >= 1000 ? `${value / 1000} s` : `${value} ms`;
}

function thousands(value: number): string {
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function r(value: number): string {
  return value.toFixed(1);
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Server-side charts for the notebooks: d3's DOM-free parts (scales, line and area generators)
 * build the path data, axes are drawn by hand, and every chart is a plain `<svg>` string. The
 * report pages therefore need no script and no network: open the HTML file anywhere.
 */
import { area, line, scaleBand, scaleLinear, scaleUtc, type ScaleLinear, type ScaleTime } from 'd3';

/** Colours of the report (colour-blind safe, from d3's Tableau 10). */
export const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] as const;

/** Escapes text for HTML and SVG content and attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A number with at most `digits` decimals and no trailing zeros (SVG coordinates stay short). */
const fixed = (value: number, digits = 2): string => String(Number(value.toFixed(digits)));

export interface LineSeries {
  name: string;
  /** x per point: epoch ms for a time axis, any number otherwise. */
  x: ArrayLike<number>;
  /** y per point; `null` or `NaN` leaves a gap. */
  y: ArrayLike<number | null>;
  color?: string;
  dash?: string;
  width?: number;
}

export interface BandSeries {
  name: string;
  x: ArrayLike<number>;
  lower: ArrayLike<number | null>;
  upper: ArrayLike<number | null>;
  color?: string;
  opacity?: number;
}

export interface PointSeries {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  radius?: number;
}

/** A shaded span of the x axis (a label window, the observation window). */
export interface Span {
  from: number;
  to: number;
  label?: string;
  color?: string;
}

/** A vertical marker (a threshold, the deployment). */
export interface Marker {
  x: number;
  label: string;
  color?: string;
}

export interface ChartSpec {
  title: string;
  xLabel?: string;
  yLabel?: string;
  /** `time` reads x as epoch ms (UTC). */
  xKind?: 'time' | 'number';
  width?: number;
  height?: number;
  lines?: LineSeries[];
  bands?: BandSeries[];
  points?: PointSeries[];
  spans?: Span[];
  markers?: Marker[];
  /** Fixed domains; otherwise taken from the data. */
  xDomain?: [number, number];
  yDomain?: [number, number];
}

const present = (v: number | null | undefined): v is number => v !== null && v !== undefined && Number.isFinite(v);

function extent(values: Iterable<number | null>): [number, number] | undefined {
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    if (!present(v)) continue;
    if (v < low) low = v;
    if (v > high) high = v;
  }
  return low <= high ? [low, high] : undefined;
}

function* allY(spec: ChartSpec): Generator<number | null> {
  for (const l of spec.lines ?? []) yield* Array.from(l.y);
  for (const b of spec.bands ?? []) {
    yield* Array.from(b.lower);
    yield* Array.from(b.upper);
  }
  for (const p of spec.points ?? []) yield* Array.from(p.y);
}

function* allX(spec: ChartSpec): Generator<number> {
  for (const l of spec.lines ?? []) yield* Array.from(l.x);
  for (const b of spec.bands ?? []) yield* Array.from(b.x);
  for (const p of spec.points ?? []) yield* Array.from(p.x);
  for (const s of spec.spans ?? []) yield* [s.from, s.to];
  for (const m of spec.markers ?? []) yield m.x;
}

const MARGIN = { top: 30, right: 16, bottom: 42, left: 64 };

/**
 * Indices of the points worth drawing when a line has many more points than pixel columns: per
 * column the first, last, lowest and highest point (M4 decimation, Jugel et al. 2014) and every
 * missing point, so the drawn line looks the same — peaks and gaps included — at a fraction of
 * the path length. `xPixels` must be ascending. O(n).
 */
export function decimate(xPixels: ArrayLike<number>, y: ArrayLike<number | null>): number[] {
  const keep: number[] = [];
  let i = 0;
  while (i < xPixels.length) {
    const column = Math.floor(xPixels[i]);
    let low = -1;
    let high = -1;
    const start = i;
    const picked: number[] = [];
    for (; i < xPixels.length && Math.floor(xPixels[i]) === column; i++) {
      const v = y[i];
      if (!present(v)) {
        picked.push(i);
        continue;
      }
      if (low < 0 || v < (y[low] as number)) low = i;
      if (high < 0 || v > (y[high] as number)) high = i;
    }
    picked.push(start, i - 1);
    if (low >= 0) picked.push(low, high);
    keep.push(...[...new Set(picked)].sort((a, b) => a - b));
  }
  return keep;
}

/**
 * A line chart with optional bands, points, shaded spans and vertical markers, as an SVG string
 * with a legend underneath. Missing y values break the lines instead of bridging them.
 */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 860;
  const height = spec.height ?? 300;
  const inner = { width: width - MARGIN.left - MARGIN.right, height: height - MARGIN.top - MARGIN.bottom };
  const xExtent = spec.xDomain ?? extent(allX(spec)) ?? [0, 1];
  let yExtent = spec.yDomain ?? extent(allY(spec)) ?? [0, 1];
  if (yExtent[0] === yExtent[1]) yExtent = [yExtent[0] - 1, yExtent[1] + 1];
  const time = spec.xKind === 'time';
  const x: ScaleLinear<number, number> | ScaleTime<number, number> = time
    ? scaleUtc().domain([new Date(xExtent[0]), new Date(xExtent[1])]).range([0, inner.width])
    : scaleLinear().domain(xExtent).range([0, inner.width]);
  const y = scaleLinear().domain(yExtent).range([inner.height, 0]);
  if (!spec.yDomain) y.nice();
  const px = (v: number): number => (time ? (x as ScaleTime<number, number>)(new Date(v)) : (x as ScaleLinear<number, number>)(v));

  const parts: string[] = [];
  parts.push(`<text x="${MARGIN.left}" y="18" class="title">${escapeHtml(spec.title)}</text>`);
  parts.push(`<g transform="translate(${MARGIN.left},${MARGIN.top})">`);
  for (const s of spec.spans ?? []) {
    const from = Math.max(0, px(s.from));
    const to = Math.min(inner.width, px(s.to));
    if (to < from) continue;
    parts.push(`<rect x="${fixed(from)}" y="0" width="${fixed(Math.max(1, to - from))}" height="${inner.height}" fill="${s.color ?? '#f2e8c9'}" opacity="0.6"><title>${escapeHtml(s.label ?? '')}</title></rect>`);
  }
  // Grid and y axis.
  for (const tick of y.ticks(6)) {
    const ty = fixed(y(tick));
    parts.push(`<line x1="0" x2="${inner.width}" y1="${ty}" y2="${ty}" class="grid"/>`);
    parts.push(`<text x="-6" y="${ty}" dy="0.32em" text-anchor="end" class="tick">${escapeHtml(y.tickFormat(6)(tick))}</text>`);
  }
  // x axis.
  parts.push(`<line x1="0" x2="${inner.width}" y1="${inner.height}" y2="${inner.height}" class="axis"/>`);
  const xTicks = time ? (x as ScaleTime<number, number>).ticks(7).map((d) => d.getTime()) : (x as ScaleLinear<number, number>).ticks(8);
  const xFormat = time ? (v: number) => new Date(v).toISOString().slice(5, 16).replace('T', ' ') : (x as ScaleLinear<number, number>).tickFormat(8);
  for (const tick of xTicks) {
    const tx = fixed(px(tick));
    parts.push(`<line x1="${tx}" x2="${tx}" y1="${inner.height}" y2="${inner.height + 5}" class="axis"/>`);
    parts.push(`<text x="${tx}" y="${inner.height + 18}" text-anchor="middle" class="tick">${escapeHtml(xFormat(tick))}</text>`);
  }
  if (spec.xLabel) parts.push(`<text x="${inner.width / 2}" y="${inner.height + 36}" text-anchor="middle" class="label">${escapeHtml(spec.xLabel)}</text>`);
  if (spec.yLabel) parts.push(`<text transform="translate(-50,${inner.height / 2}) rotate(-90)" text-anchor="middle" class="label">${escapeHtml(spec.yLabel)}</text>`);

  const legend: { name: string; color: string; kind: 'line' | 'band' | 'point' }[] = [];
  (spec.bands ?? []).forEach((b, i) => {
    const color = b.color ?? palette[i % palette.length];
    const indices = Array.from({ length: b.x.length }, (_, k) => k);
    const path = area<number>()
      .defined((k) => present(b.lower[k]) && present(b.upper[k]))
      .x((k) => px(b.x[k]))
      .y0((k) => y(b.lower[k] as number))
      .y1((k) => y(b.upper[k] as number))(indices);
    if (path) parts.push(`<path d="${path}" fill="${color}" opacity="${b.opacity ?? 0.2}" class="band"><title>${escapeHtml(b.name)}</title></path>`);
    legend.push({ name: b.name, color, kind: 'band' });
  });
  (spec.lines ?? []).forEach((l, i) => {
    const color = l.color ?? palette[i % palette.length];
    const all = Array.from({ length: l.x.length }, (_, k) => k);
    const indices = l.x.length > 4 * inner.width ? decimate(all.map((k) => px(l.x[k])), l.y) : all;
    const path = line<number>()
      .defined((k) => present(l.y[k]))
      .x((k) => px(l.x[k]))
      .y((k) => y(l.y[k] as number))(indices);
    if (path) {
      parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="${l.width ?? 1.5}"${l.dash ? ` stroke-dasharray="${l.dash}"` : ''} class="line"><title>${escapeHtml(l.name)}</title></path>`);
    }
    legend.push({ name: l.name, color, kind: 'line' });
  });
  (spec.points ?? []).forEach((p, i) => {
    const color = p.color ?? palette[(i + 2) % palette.length];
    for (let k = 0; k < p.x.length; k++) {
      if (!present(p.y[k])) continue;
      parts.push(`<circle cx="${fixed(px(p.x[k]))}" cy="${fixed(y(p.y[k]))}" r="${p.radius ?? 3.5}" fill="${color}" class="point"/>`);
    }
    legend.push({ name: `${p.name} (${p.x.length})`, color, kind: 'point' });
  });
  for (const m of spec.markers ?? []) {
    const mx = fixed(px(m.x));
    parts.push(`<line x1="${mx}" x2="${mx}" y1="0" y2="${inner.height}" stroke="${m.color ?? '#555'}" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${mx}" y="-4" text-anchor="middle" class="tick">${escapeHtml(m.label)}</text>`);
  }
  parts.push('</g>');

  const legendHtml = legend
    .map((entry) => {
      const swatch =
        entry.kind === 'line'
          ? `<svg width="18" height="10" aria-hidden="true"><line x1="0" x2="18" y1="5" y2="5" stroke="${entry.color}" stroke-width="2"/></svg>`
          : entry.kind === 'band'
            ? `<svg width="18" height="10" aria-hidden="true"><rect width="18" height="10" fill="${entry.color}" opacity="0.3"/></svg>`
            : `<svg width="18" height="10" aria-hidden="true"><circle cx="9" cy="5" r="4" fill="${entry.color}"/></svg>`;
      return `<span class="key">${swatch} ${escapeHtml(entry.name)}</span>`;
    })
    .join(' ');
  return `<figure><svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(spec.title)}">${parts.join('')}</svg><figcaption>${legendHtml}</figcaption></figure>`;
}

/**
 * A 2×2 confusion matrix (rows: the label, columns: the gate's answer) as an SVG heat map;
 * correct cells are green, errors red, darker for more cases.
 */
export function confusionMatrix(title: string, counts: { truePositives: number; falsePositives: number; trueNegatives: number; falseNegatives: number }): string {
  const size = 90;
  const left = 110;
  const top = 54;
  const total = Math.max(1, counts.truePositives + counts.falsePositives + counts.trueNegatives + counts.falseNegatives);
  const cells: { row: number; col: number; value: number; good: boolean; name: string }[] = [
    { row: 0, col: 0, value: counts.truePositives, good: true, name: 'true positives' },
    { row: 0, col: 1, value: counts.falseNegatives, good: false, name: 'false negatives' },
    { row: 1, col: 0, value: counts.falsePositives, good: false, name: 'false positives' },
    { row: 1, col: 1, value: counts.trueNegatives, good: true, name: 'true negatives' },
  ];
  const parts: string[] = [`<text x="0" y="16" class="title">${escapeHtml(title)}</text>`];
  parts.push(`<text x="${left + size}" y="${top - 22}" text-anchor="middle" class="label">gate answer</text>`);
  parts.push(`<text x="${left + size / 2}" y="${top - 6}" text-anchor="middle" class="tick">flagged</text>`);
  parts.push(`<text x="${left + size * 1.5}" y="${top - 6}" text-anchor="middle" class="tick">PASS</text>`);
  parts.push(`<text x="${left - 8}" y="${top + size / 2}" dy="0.32em" text-anchor="end" class="tick">bad release</text>`);
  parts.push(`<text x="${left - 8}" y="${top + size * 1.5}" dy="0.32em" text-anchor="end" class="tick">good release</text>`);
  for (const c of cells) {
    const shade = 0.15 + 0.75 * (c.value / total);
    const color = c.good ? `rgba(89,161,79,${fixed(shade)})` : `rgba(225,87,89,${fixed(shade)})`;
    const cx = left + c.col * size;
    const cy = top + c.row * size;
    parts.push(`<rect x="${cx}" y="${cy}" width="${size - 2}" height="${size - 2}" fill="${color}"><title>${c.name}</title></rect>`);
    parts.push(`<text x="${cx + size / 2}" y="${cy + size / 2}" dy="0.32em" text-anchor="middle" class="cell">${c.value}</text>`);
  }
  // Wide enough for the title, which can be longer than the grid.
  const width = Math.max(left + 2 * size + 10, Math.ceil(title.length * 7.2));
  const height = top + 2 * size + 10;
  return `<figure class="inline"><svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg></figure>`;
}

export interface Bar {
  label: string;
  value: number;
  /** Highlighted bars (ours beside published ones). */
  highlight?: boolean;
}

/** A horizontal bar chart, bars in the order given, values written at the bar ends. */
export function barChart(title: string, bars: readonly Bar[], options: { width?: number; xLabel?: string } = {}): string {
  const width = options.width ?? 860;
  const left = 190;
  const right = 60;
  const rowHeight = 20;
  const top = 30;
  const height = top + bars.length * rowHeight + 36;
  const low = Math.min(0, ...bars.map((b) => b.value));
  const high = Math.max(0, ...bars.map((b) => b.value));
  const x = scaleLinear()
    .domain([low, high === low ? low + 1 : high])
    .range([0, width - left - right])
    .nice();
  const yBand = scaleBand<number>()
    .domain(bars.map((_, i) => i))
    .range([0, bars.length * rowHeight])
    .padding(0.2);
  const parts: string[] = [`<text x="0" y="18" class="title">${escapeHtml(title)}</text>`, `<g transform="translate(${left},${top})">`];
  for (const tick of x.ticks(8)) {
    const tx = fixed(x(tick));
    parts.push(`<line x1="${tx}" x2="${tx}" y1="0" y2="${bars.length * rowHeight}" class="grid"/>`);
    parts.push(`<text x="${tx}" y="${bars.length * rowHeight + 14}" text-anchor="middle" class="tick">${escapeHtml(x.tickFormat(8)(tick))}</text>`);
  }
  bars.forEach((b, i) => {
    const by = yBand(i) ?? 0;
    const x0 = x(Math.min(0, b.value));
    const w = Math.abs(x(b.value) - x(0));
    parts.push(`<rect x="${fixed(x0)}" y="${fixed(by)}" width="${fixed(Math.max(w, 0.5))}" height="${fixed(yBand.bandwidth())}" fill="${b.highlight ? palette[1] : palette[0]}"><title>${escapeHtml(`${b.label}: ${b.value.toFixed(2)}`)}</title></rect>`);
    parts.push(`<text x="-6" y="${fixed(by + yBand.bandwidth() / 2)}" dy="0.32em" text-anchor="end" class="tick${b.highlight ? ' strong' : ''}">${escapeHtml(b.label)}</text>`);
    parts.push(`<text x="${fixed(x(b.value) + (b.value < 0 ? -4 : 4))}" y="${fixed(by + yBand.bandwidth() / 2)}" dy="0.32em" text-anchor="${b.value < 0 ? 'end' : 'start'}" class="tick">${b.value.toFixed(1)}</text>`);
  });
  if (options.xLabel) parts.push(`<text x="${(width - left - right) / 2}" y="${bars.length * rowHeight + 30}" text-anchor="middle" class="label">${escapeHtml(options.xLabel)}</text>`);
  parts.push('</g>');
  return `<figure><svg class="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(title)}">${parts.join('')}</svg></figure>`;
}

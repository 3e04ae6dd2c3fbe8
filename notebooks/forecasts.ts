/**
 * The `forecasts` notebook: one series through three before/after baselines — Holt-Winters,
 * STL + ARIMA and the segmented historical average — with each forecast, its band and the
 * window points outside the band.
 *
 * The series is a generated case's metric (the released hosts' mean per point, history up to
 * the deployment and the observation window after it) or a NAB series (the window is its first
 * label window, or its last day when it has none).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SluiceError } from '../src/core/errors.js';
import { iterateDataset } from '../src/datasets/dataset.js';
import { deployIndex, type ParsedCase } from '../src/datasets/case.js';
import { parseNabTimestamp, readCsvColumns } from '../src/nab/corpus.js';
import { fitHoltWinters, forecast } from '../detectors/holt-winters/index.js';
import { fitStlArima, forecastStlArima } from '../detectors/arima/index.js';
import { historicalAverageConfigSchema, historicalAverageDetect } from '../detectors/historical-average/index.js';
import { page, paragraph, section, table } from './html.js';
import { lineChart, palette } from './svg.js';

const DAY = 86_400_000;

/** A series split into history and the window under judgement, on a regular clock. */
export interface ForecastSeries {
  title: string;
  start: number;
  step: number;
  /** Points before the window. */
  history: Float64Array;
  window: Float64Array;
  /** Points per day at this step. */
  period: number;
  /** A comparison series over history and window (a case's unreleased hosts' mean), for the chart only. */
  control?: Float64Array;
}

/** One method's forecast over the window. */
export interface MethodForecast {
  method: string;
  /** Parameters or model order, for the table. */
  model: string;
  mean: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
  /** Window indices whose observation lies outside [lower, upper]. */
  flagged: number[];
  /** Mean absolute error of the forecast over the window's observed points. */
  mae: number;
  /** Why the method gave no forecast (too little history, a failed fit). */
  error?: string;
}

export interface ForecastsNotebookOptions {
  /** Dataset directory for a generated case (default `datasets/release-cases-v1`). */
  dataset?: string;
  /** Case id (default `v1-0006`, a latency regression). */
  caseId?: string;
  /** Metric name (default: the first metric the label names, else the case's first metric). */
  metric?: string;
  /** A NAB series instead of a case: the corpus directory and the series, e.g. `realKnownCause/nyc_taxi.csv`. */
  nab?: { dir: string; series: string };
  /** Periods of history the methods see (default 7; older points are dropped). */
  maxHistoryPeriods?: number;
  /** Band coverage of the model-based intervals (default 0.997, ≈ ±3σ as the detectors' `bandWidth` 3). */
  level?: number;
  log?: (line: string) => void;
}

export interface ForecastsNotebookResult {
  html: string;
  series: ForecastSeries;
  methods: MethodForecast[];
}

/** The released hosts' mean per point of one metric of a case, split at the deployment. */
export function caseSeries(c: ParsedCase, metricName?: string): ForecastSeries {
  const named = c.label?.metrics.find((m) => c.metrics.some((x) => x.name === m));
  const metric = c.metrics.find((m) => m.name === (metricName ?? named)) ?? (metricName ? undefined : c.metrics[0]);
  if (!metric) throw new Error(`case ${c.id} has no metric ${metricName} (it has ${c.metrics.map((m) => m.name).join(', ')})`);
  const length = metric.released[0]?.values.length ?? 0;
  const hostMean = (hosts: readonly { values: Float64Array }[]): Float64Array => {
    const out = new Float64Array(length);
    for (let i = 0; i < length; i++) {
      let sum = 0;
      let count = 0;
      for (const h of hosts) {
        const v = h.values[i];
        if (Number.isFinite(v)) {
          sum += v;
          count++;
        }
      }
      out[i] = count > 0 ? sum / count : NaN;
    }
    return out;
  };
  const mean = hostMean(metric.released);
  const at = deployIndex(c, length);
  return {
    title: `${c.id} ${metric.name} (released hosts' mean; ${c.label?.kind ?? 'unlabeled'})`,
    start: c.start,
    step: c.step,
    history: mean.slice(0, at),
    window: mean.slice(at),
    period: Math.max(2, Math.round(DAY / c.step)),
    control: metric.unreleased.length > 0 ? hostMean(metric.unreleased) : undefined,
  };
}

/** A NAB series read from the corpus folder; the window is its first label window with two days of history before it, else its last day. */
export function nabSeries(dir: string, name: string): ForecastSeries {
  const columns = readCsvColumns(join(dir, 'data', name));
  const timestamps = (columns.timestamp ?? []).map(parseNabTimestamp);
  const values = Float64Array.from(columns.value ?? [], (v) => (v.trim() === '' ? NaN : Number(v)));
  if (timestamps.length < 3) throw new Error(`${name}: too few rows`);
  // NAB files are nearly regular; the median spacing is the step and rows are taken in order.
  const gaps = timestamps.slice(1).map((t, i) => t - timestamps[i]).sort((a, b) => a - b);
  const step = gaps[Math.floor(gaps.length / 2)];
  const period = Math.max(2, Math.round(DAY / step));
  const labels = JSON.parse(readFileSync(join(dir, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  let from = Math.max(0, values.length - period);
  let to = values.length;
  for (const [a, b] of labels[name] ?? []) {
    const first = timestamps.findIndex((t) => t >= parseNabTimestamp(a));
    if (first >= 2 * period) {
      from = first;
      const end = timestamps.findIndex((t) => t > parseNabTimestamp(b));
      to = Math.min(end < 0 ? values.length : end, first + period);
      break;
    }
  }
  return { title: `NAB ${name}`, start: timestamps[0], step, history: values.slice(0, from), window: values.slice(from, to), period };
}

function outside(window: Float64Array, lower: Float64Array, upper: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < window.length; i++) {
    if (Number.isFinite(window[i]) && Number.isFinite(lower[i]) && (window[i] < lower[i] || window[i] > upper[i])) out.push(i);
  }
  return out;
}

function meanAbsoluteError(window: Float64Array, mean: Float64Array): number {
  let sum = 0;
  let count = 0;
  for (let i = 0; i < window.length; i++) {
    if (Number.isFinite(window[i]) && Number.isFinite(mean[i])) {
      sum += Math.abs(window[i] - mean[i]);
      count++;
    }
  }
  return count > 0 ? sum / count : NaN;
}

const failed = (method: string, n: number, error: string): MethodForecast => ({
  method,
  model: '',
  mean: new Float64Array(n).fill(NaN),
  lower: new Float64Array(n).fill(NaN),
  upper: new Float64Array(n).fill(NaN),
  flagged: [],
  mae: NaN,
  error,
});

const complete = (method: string, model: string, window: Float64Array, mean: Float64Array, lower: Float64Array, upper: Float64Array): MethodForecast => ({
  method,
  model,
  mean,
  lower,
  upper,
  flagged: outside(window, lower, upper),
  mae: meanAbsoluteError(window, mean),
});

/** Forecasts the window with the three methods; a method that cannot fit reports why instead of throwing. */
export function forecastWindow(s: ForecastSeries, level = 0.997): MethodForecast[] {
  const h = s.window.length;
  const out: MethodForecast[] = [];

  const hw = fitHoltWinters(s.history, { period: s.period, seasonal: 'additive' });
  if (hw.ok) {
    const f = forecast(hw.value, h, { level });
    const p = hw.value.parameters;
    out.push(complete('Holt-Winters', `additive, α ${p.alpha.toFixed(3)} β ${p.beta.toFixed(3)} γ ${p.gamma.toFixed(3)}, σ ${hw.value.sigma.toPrecision(3)}`, s.window, f.mean, f.lower, f.upper));
  } else {
    out.push(failed('Holt-Winters', h, hw.error.message));
  }

  try {
    const model = fitStlArima(s.history, { period: s.period, robust: true });
    const f = forecastStlArima(model, h, [level]);
    const o = model.arima.order;
    out.push(complete('STL + ARIMA', `STL (robust) + ARIMA(${o.p},${o.d},${o.q}) on ${s.history.length - model.arimaStart} points`, s.window, f.mean, f.intervals[0].lower, f.intervals[0].upper));
  } catch (error) {
    if (!(error instanceof SluiceError)) throw error;
    out.push(failed('STL + ARIMA', h, error.message));
  }

  // Generated cases hold two days of history, so one earlier day of any type has to do.
  const config = historicalAverageConfigSchema.parse({ minDays: 1, sameDayType: false });
  const result = historicalAverageDetect(
    { treated: { start: s.start + s.history.length * s.step, step: s.step, values: s.window }, history: { start: s.start, step: s.step, values: s.history } },
    config,
  );
  const plotted = (role: string): Float64Array => Float64Array.from(result.plot?.find((p) => p.role === role)?.values ?? [], (v) => v ?? NaN);
  if (result.status === 'insufficient_data') out.push(failed('Historical average', h, result.reason ?? 'insufficient data'));
  else out.push(complete('Historical average', `mean of ${Number(result.evidence.meanDaysUsed).toFixed(1)} earlier days, ±3σ·√(1 + 1/k)`, s.window, plotted('forecast'), plotted('lower'), plotted('upper')));
  return out;
}

/** Runs the notebook on a case (default) or a NAB series. */
export async function forecastsNotebook(options: ForecastsNotebookOptions = {}): Promise<ForecastsNotebookResult> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  let s: ForecastSeries;
  if (options.nab) {
    log(`forecasts: reading ${options.nab.series} from ${options.nab.dir}`);
    s = nabSeries(options.nab.dir, options.nab.series);
  } else {
    const dir = options.dataset ?? 'datasets/release-cases-v1';
    const id = options.caseId ?? 'v1-0006';
    log(`forecasts: reading case ${id} from ${dir}`);
    let found: ParsedCase | undefined;
    for await (const item of iterateDataset(dir)) {
      if (item.ok && item.value.id === id) {
        found = item.value;
        break;
      }
    }
    if (!found) throw new Error(`no case ${id} in ${dir}`);
    s = caseSeries(found, options.metric);
  }
  const keep = (options.maxHistoryPeriods ?? 7) * s.period;
  if (s.history.length > keep) {
    const dropped = s.history.length - keep;
    s = { ...s, start: s.start + dropped * s.step, history: s.history.slice(dropped), control: s.control?.slice(dropped) };
  }
  log(`forecasts: ${s.history.length} history points, ${s.window.length} window points, period ${s.period}`);
  const methods: MethodForecast[] = [];
  for (const m of forecastWindow(s, options.level)) {
    methods.push(m);
    log(`forecasts: ${m.method}: ${m.error ? `no forecast (${m.error})` : `${m.flagged.length} of ${s.window.length} points outside the band`}`);
  }

  const windowStart = s.start + s.history.length * s.step;
  const windowX = Array.from(s.window, (_, i) => windowStart + i * s.step);
  // Enough history before the window to see its recent course (a day at most), without a
  // short window shrinking to a sliver at the chart's edge.
  const shown = Math.min(s.history.length, s.period, Math.max(Math.ceil(s.period / 4), 6 * s.window.length));
  const historyX = Array.from({ length: shown }, (_, i) => windowStart - (shown - i) * s.step);
  const historyY = s.history.slice(s.history.length - shown);
  const observed = { name: s.control ? 'released hosts (mean)' : 'observed', x: [...historyX, ...windowX], y: [...historyY, ...s.window], color: '#333', width: 1.3 };
  const control = s.control
    ? [{ name: 'unreleased hosts (mean)', x: [...historyX, ...windowX], y: s.control.slice(s.history.length - shown, s.history.length + s.window.length), color: '#999', dash: '3 3', width: 1.2 }]
    : [];
  const span = { from: windowStart, to: windowStart + Math.max(0, s.window.length - 1) * s.step, label: 'window' };

  const sections: string[] = [];
  sections.push(
    section(
      'Summary',
      paragraph(`${s.title}. Bands are ${((options.level ?? 0.997) * 100).toFixed(1)} % prediction intervals for the model forecasts and ±3σ·√(1 + 1/k) of the same slot on earlier days for the historical average.`),
      table(
        ['Method', 'Model', 'Points outside band', 'MAE', 'Note'],
        methods.map((m) => [m.method, m.model, m.error ? '' : `${m.flagged.length} / ${s.window.length}`, Number.isFinite(m.mae) ? m.mae : '', m.error ?? '']),
      ),
    ),
  );
  sections.push(
    section(
      'All forecasts',
      lineChart({
        title: 'Observed and the three forecasts',
        xKind: 'time',
        yLabel: 'value',
        spans: [span],
        lines: [observed, ...control, ...methods.flatMap((m, i) => (m.error ? [] : [{ name: m.method, x: windowX, y: m.mean, color: palette[i], width: 2 }]))],
      }),
    ),
  );
  methods.forEach((m, i) => {
    sections.push(
      section(
        m.method,
        m.error
          ? paragraph(`No forecast: ${m.error}`)
          : lineChart({
              title: `${m.method}: forecast, band and flagged points`,
              xKind: 'time',
              yLabel: 'value',
              spans: [span],
              bands: [{ name: 'band', x: windowX, lower: m.lower, upper: m.upper, color: palette[i] }],
              lines: [observed, { name: 'forecast', x: windowX, y: m.mean, color: palette[i], width: 2 }],
              points: [{ name: 'outside the band', x: m.flagged.map((k) => windowX[k]), y: m.flagged.map((k) => s.window[k]), color: '#e15759' }],
            }),
      ),
    );
  });
  const html = page(`Forecasts: ${s.title}`, `period ${s.period} points, step ${s.step / 60_000} min; generated ${new Date().toISOString()} in ${((Date.now() - started) / 1000).toFixed(1)} s`, sections);
  return { html, series: s, methods };
}

/**
 * Metric series as charts need them: merging history with pushed points,
 * smoothing, and the x-axis transforms. Pure functions, no DOM.
 */

import { MetricPoint } from '../tokens';

/**
 * What the x axis shows: the step, the wall-clock time, or the time since the
 * series' first point.
 */
export type XMode = 'step' | 'wall' | 'relative';

/**
 * How a series is drawn.
 */
export interface IChartOptions {
  /** The x-axis transform. */
  xMode: XMode;
  /** Whether the y axis is logarithmic: values <= 0 are then dropped. */
  logY: boolean;
  /** The EMA weight in [0, 1): 0 draws no smoothed line. */
  smoothing: number;
}

/**
 * A series in the column form uPlot draws, sorted by x.
 */
export interface IChartData {
  /** x values: steps, or seconds (epoch or relative). */
  x: Float64Array;
  /** The step of each point, for the legend whatever the x axis shows. */
  steps: Float64Array;
  /** Raw values; `null` is a gap (a non-finite value). */
  y: (number | null)[];
  /** EMA-smoothed values, or null when smoothing is off. */
  smoothed: (number | null)[] | null;
  /** How many raw points have a value to draw. */
  count: number;
}

/**
 * The order of points: by step, then by timestamp.
 */
export function comparePoints(a: MetricPoint, b: MetricPoint): number {
  return a[0] - b[0] || a[1] - b[1];
}

/**
 * Whether `points` is ordered by (step, timestamp) without duplicates.
 */
export function isOrdered(points: readonly MetricPoint[]): boolean {
  for (let i = 1; i < points.length; i++) {
    if (comparePoints(points[i - 1], points[i]) >= 0) {
      return false;
    }
  }
  return true;
}

/**
 * Merge `incoming` points into `base`, ordered by (step, timestamp) and
 * without two points of the same (step, timestamp); `incoming` wins a tie.
 *
 * `base` must be ordered (as the REST history and this function's output are);
 * `incoming` may come in any order. Neither input is changed.
 */
export function mergePoints(
  base: readonly MetricPoint[],
  incoming: readonly MetricPoint[]
): MetricPoint[] {
  if (incoming.length === 0) {
    return base.slice();
  }
  const added = isOrdered(incoming)
    ? incoming
    : Private.dedupe(incoming.slice().sort(comparePoints));
  // Live points nearly always come after everything held: append.
  if (base.length === 0 || comparePoints(base[base.length - 1], added[0]) < 0) {
    return base.concat(added);
  }
  const merged: MetricPoint[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length && j < added.length) {
    const order = comparePoints(base[i], added[j]);
    if (order < 0) {
      merged.push(base[i++]);
    } else {
      if (order === 0) {
        i++;
      }
      merged.push(added[j++]);
    }
  }
  while (i < base.length) {
    merged.push(base[i++]);
  }
  while (j < added.length) {
    merged.push(added[j++]);
  }
  return merged;
}

/**
 * The points strictly after `last` in (step, timestamp) order.
 */
export function pointsAfter(
  points: readonly MetricPoint[],
  last: MetricPoint | undefined
): MetricPoint[] {
  return last ? points.filter(p => comparePoints(p, last) > 0) : [...points];
}

/**
 * One metric's points as they arrive: the REST history merged with pushed
 * points. It holds data only; the model fetches.
 *
 * Points pushed while a history load is under way are kept aside, since the
 * reply may predate them; the reply then replaces the points (it may be a
 * downsample) and those kept aside are merged back in.
 */
export class MetricSeries {
  /** The points, ordered by (step, timestamp), without duplicates. */
  get points(): readonly MetricPoint[] {
    return this._points;
  }

  /** The earliest timestamp (Infinity when empty): keys are ordered by it. */
  get firstTimestamp(): number {
    return this._first;
  }

  /** Whether the points come from a downsampled history. */
  get sampled(): boolean {
    return this._sampled;
  }

  /** Whether a history load is under way. */
  get isLoading(): boolean {
    return this._pending !== null;
  }

  /**
   * The last point of the last history reply applied, or null (none applied,
   * or it was empty): what was logged after it was read starts there.
   */
  get historyEnd(): MetricPoint | null {
    return this._historyEnd;
  }

  /**
   * Merge pushed points.
   */
  push(rows: readonly MetricPoint[]): void {
    this._points = mergePoints(this._points, rows);
    this._pending?.push(...rows);
    for (const row of rows) {
      this._first = Math.min(this._first, row[1]);
    }
  }

  /**
   * Start a history load; returns the ticket to apply its reply with.
   */
  beginLoad(): number {
    this._pending = [];
    return ++this._load;
  }

  /**
   * Apply a history reply unless a newer load started; whether it applied.
   */
  applyHistory(
    ticket: number,
    history: readonly MetricPoint[],
    sampled: boolean
  ): boolean {
    if (ticket !== this._load || this._pending === null) {
      return false;
    }
    // Also keep held points past the reply's end, should it be a stale read.
    const after = pointsAfter(this._points, history[history.length - 1]);
    this._points = mergePoints(history, this._pending.concat(after));
    this._historyEnd = history[history.length - 1] ?? null;
    this._pending = null;
    this._sampled = sampled;
    this._first = Infinity;
    for (const point of this._points) {
      this._first = Math.min(this._first, point[1]);
    }
    return true;
  }

  /**
   * A history load failed: keep the points held.
   */
  failLoad(ticket: number): void {
    if (ticket === this._load) {
      this._pending = null;
    }
  }

  private _points: MetricPoint[] = [];
  private _pending: MetricPoint[] | null = null;
  private _historyEnd: MetricPoint | null = null;
  private _load = 0;
  private _sampled = false;
  private _first = Infinity;
}

/**
 * An exponential moving average, debiased as TensorBoard's smoothing is, so
 * that the first values are not pulled towards zero.
 *
 * `weight` 0 returns the values unchanged. A `null` (or non-finite) value
 * stays a gap and the average carries on over it.
 */
export function ema(
  values: ArrayLike<number | null>,
  weight: number
): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  const out: (number | null)[] = new Array(values.length);
  let last = 0;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (value === null || !Number.isFinite(value)) {
      out[i] = null;
      continue;
    }
    last = last * w + (1 - w) * value;
    count++;
    out[i] = last / (1 - Math.pow(w, count));
  }
  return out;
}

/**
 * The x value of each point: the step, the epoch time in seconds, or the
 * seconds since the earliest point.
 */
export function xValues(
  points: readonly MetricPoint[],
  mode: XMode
): Float64Array {
  const x = new Float64Array(points.length);
  if (mode === 'step') {
    points.forEach((p, i) => (x[i] = p[0]));
    return x;
  }
  let origin = 0;
  if (mode === 'relative') {
    origin = Infinity;
    for (const p of points) {
      origin = Math.min(origin, p[1]);
    }
  }
  points.forEach((p, i) => (x[i] = (p[1] - origin) / 1000));
  return x;
}

/**
 * Whether a log-scaled axis can show a point: not when its value is <= 0
 * (a gap, null, stays a gap).
 */
export function isLogDrawable(point: MetricPoint): boolean {
  return point[2] === null || point[2] > 0;
}

/**
 * The points a log-scaled axis can show: values <= 0 are dropped, gaps kept.
 */
export function logFilter(points: readonly MetricPoint[]): MetricPoint[] {
  return points.filter(isLogDrawable);
}

/**
 * A series ready for uPlot: transformed, sorted by x, and smoothed.
 */
export function chartData(
  points: readonly MetricPoint[],
  options: IChartOptions
): IChartData {
  // Relative time counts from the first point logged, whatever log-y drops.
  const allX = xValues(points, options.xMode);
  let kept: number[] = points.map((_, i) => i);
  if (options.logY) {
    kept = kept.filter(i => isLogDrawable(points[i]));
  }
  // Points come ordered by step; timestamps need not follow the steps.
  if (options.xMode !== 'step') {
    kept.sort((a, b) => allX[a] - allX[b] || a - b);
  }
  const x = new Float64Array(kept.length);
  const steps = new Float64Array(kept.length);
  const y: (number | null)[] = new Array(kept.length);
  let count = 0;
  kept.forEach((index, i) => {
    const point = points[index];
    x[i] = allX[index];
    steps[i] = point[0];
    const value = point[2];
    y[i] = value === null || !Number.isFinite(value) ? null : value;
    if (y[i] !== null) {
      count++;
    }
  });
  const smoothed = options.smoothing > 0 ? ema(y, options.smoothing) : null;
  return { x, steps, y, smoothed, count };
}

/**
 * A metric value for a legend: short, but exact enough to tell steps apart.
 */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return 'NaN';
  }
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-4)) {
    return value.toExponential(3);
  }
  return String(Number(value.toPrecision(5)));
}

/**
 * A step tick label, compact for big steps: `950`, `12k`, `1.5M`.
 */
export function formatStep(step: number): string {
  const abs = Math.abs(step);
  if (abs >= 1e6) {
    return `${Number((step / 1e6).toPrecision(3))}M`;
  }
  if (abs >= 1e4) {
    return `${Number((step / 1e3).toPrecision(3))}k`;
  }
  return String(Number(step.toPrecision(6)));
}

/**
 * A duration in seconds as `1h02m`, `3m05s` or `12.5s`.
 */
export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const s = Math.abs(seconds);
  if (s < 60) {
    return `${sign}${Number(s.toFixed(s < 10 ? 2 : 1))}s`;
  }
  const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) {
    return `${sign}${Math.floor(s / 60)}m${pad(s % 60)}s`;
  }
  return `${sign}${Math.floor(s / 3600)}h${pad((s % 3600) / 60)}m`;
}

/**
 * A wall-clock tick label (local time), as precise as the axis span needs:
 * `11/24 08:25` over days, `08:25` over minutes, `08:25:45` over seconds,
 * and `25:45.580` under ten seconds.
 */
export function formatClock(seconds: number, span: number): string {
  const date = new Date(seconds * 1000);
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  const hm = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  if (span >= 2 * 86400) {
    return `${date.getMonth() + 1}/${date.getDate()} ${hm}`;
  }
  if (span >= 600) {
    return hm;
  }
  if (span >= 10) {
    return `${hm}:${pad(date.getSeconds())}`;
  }
  return `${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Drop repeats of a (step, timestamp) from sorted points; the last one wins.
   */
  export function dedupe(sorted: MetricPoint[]): MetricPoint[] {
    const out: MetricPoint[] = [];
    for (const point of sorted) {
      const previous = out[out.length - 1];
      if (previous && comparePoints(previous, point) === 0) {
        out[out.length - 1] = point;
      } else {
        out.push(point);
      }
    }
    return out;
  }
}

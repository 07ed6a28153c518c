/**
 * Several runs' series of one metric on one x axis, as uPlot draws them: the
 * union of every series' x values, each series filled with gaps (null) where
 * it has no point. Pure functions, no DOM.
 */

import { chartData, IChartData, IChartOptions } from '../chart/series';
import { MetricPoint } from '../tokens';

/**
 * One run's points, to overlay.
 */
export interface IOverlayInput {
  /** The run's key. */
  id: string;
  /** Its points, ordered by (step, timestamp). */
  points: readonly MetricPoint[];
}

/**
 * Series aligned on one x axis.
 */
export interface IOverlayData {
  /** Every series' x values, sorted, without repeats. */
  x: Float64Array;
  /** Per series: its values at each x, null where it has none. */
  y: (number | null)[][];
  /** Per series: its EMA at each x, or null when smoothing is off. */
  smoothed: ((number | null)[] | null)[];
  /** Per series: how many points with a value it has. */
  counts: number[];
  /** Per series: its own points, sorted by x, for the values under the cursor. */
  series: IChartData[];
}

/**
 * Align series on the union of their x values. Where a series has two points
 * at one x (a step logged twice), the later one is kept.
 */
export function overlay(
  inputs: readonly IOverlayInput[],
  options: IChartOptions
): IOverlayData {
  const each = inputs.map(input => chartData(input.points, options));
  let total = 0;
  each.forEach(data => (total += data.x.length));
  const all = new Float64Array(total);
  let offset = 0;
  for (const data of each) {
    all.set(data.x, offset);
    offset += data.x.length;
  }
  all.sort();
  let size = 0;
  for (let i = 0; i < all.length; i++) {
    if (i === 0 || all[i] !== all[size - 1]) {
      all[size++] = all[i];
    }
  }
  const x = all.slice(0, size);
  const y: (number | null)[][] = [];
  const smoothed: ((number | null)[] | null)[] = [];
  for (const data of each) {
    const column: (number | null)[] = new Array(size).fill(null);
    const smooth = data.smoothed ? new Array(size).fill(null) : null;
    let j = 0;
    for (let i = 0; i < data.x.length; i++) {
      while (x[j] < data.x[i]) {
        j++;
      }
      column[j] = data.y[i];
      if (smooth) {
        smooth[j] = data.smoothed![i];
      }
    }
    y.push(column);
    smoothed.push(smooth);
  }
  const counts = each.map(data => data.count);
  return { x, y, smoothed, counts, series: each };
}

/**
 * The index of the value in sorted `xs` nearest to `value` (the lower one on
 * a tie), or null when `xs` is empty.
 */
export function nearestIndex(
  xs: ArrayLike<number>,
  value: number
): number | null {
  if (xs.length === 0 || Number.isNaN(value)) {
    return null;
  }
  let low = 0;
  let high = xs.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (xs[middle] < value) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  // `low` is the first x >= value (or the last x): the one before may be nearer.
  if (low > 0 && value - xs[low - 1] <= xs[low] - value) {
    return low - 1;
  }
  return low;
}

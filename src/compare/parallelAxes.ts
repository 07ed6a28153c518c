/**
 * The axes of a parallel-coordinates plot of params → one metric: numbers on
 * linear axes (logarithmic for positive params spanning a decade or more,
 * such as learning rates), the others as ordered categories. Pure functions.
 */

import { formatNumber } from './diff';

/**
 * A run as the plot needs it.
 */
export interface IParallelRun {
  id: string;
  label: string;
  color: string;
  params: Record<string, string>;
  /** The chosen metric's value (NaN and infinities are not drawn). */
  value: number | null;
}

/**
 * A tick of an axis: its label and position (0 bottom, 1 top).
 */
export interface ITick {
  label: string;
  position: number;
}

/**
 * One vertical axis.
 */
export interface IAxis {
  key: string;
  kind: 'numeric' | 'categorical';
  /** How numbers are spaced (categories are evenly spaced). */
  scale: 'linear' | 'log';
  ticks: ITick[];
  /** Where each run sits on the axis (0 bottom, 1 top), null where it has no value. */
  positions: (number | null)[];
}

/**
 * The most param axes drawn: past that the plot is unreadable.
 */
export const MAX_PARAM_AXES = 12;

/**
 * The params worth an axis: those whose value is not the same in every run
 * (a run without it counts as a value), or every param when none differ;
 * sorted by name, at most `MAX_PARAM_AXES`.
 */
export function paramAxisKeys(runs: readonly IParallelRun[]): string[] {
  const keys = new Set<string>();
  runs.forEach(run => Object.keys(run.params).forEach(key => keys.add(key)));
  const all = [...keys].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true })
  );
  const varying = all.filter(key =>
    runs.some(run => run.params[key] !== runs[0].params[key])
  );
  return (varying.length ? varying : all).slice(0, MAX_PARAM_AXES);
}

/**
 * A numeric axis when every present value is a finite number, else a
 * categorical one.
 */
export function paramAxis(key: string, runs: readonly IParallelRun[]): IAxis {
  const values = runs.map(run => run.params[key]);
  const present = values.filter((v): v is string => v !== undefined);
  const numeric =
    present.length > 0 &&
    present.every(v => v.trim() !== '' && Number.isFinite(Number(v)));
  if (numeric) {
    return numericAxis(
      key,
      values.map(v => (v === undefined ? null : Number(v))),
      true
    );
  }
  const categories = [...new Set(present)].sort((a, b) =>
    a.localeCompare(b, undefined, { numeric: true })
  );
  const at = (i: number) =>
    categories.length === 1 ? 0.5 : i / (categories.length - 1);
  return {
    key,
    kind: 'categorical',
    scale: 'linear',
    ticks: categories.map((label, i) => ({ label, position: at(i) })),
    positions: values.map(v =>
      v === undefined ? null : at(categories.indexOf(v))
    )
  };
}

/**
 * At most this many ticks on a numeric axis.
 */
const MAX_TICKS = 6;

/**
 * A numeric axis over the finite values (the others get no position):
 * logarithmic when `logIfWide` and every value is positive and the largest is
 * at least ten times the smallest, else linear; ticks at round values.
 */
export function numericAxis(
  key: string,
  values: (number | null)[],
  logIfWide = false
): IAxis {
  const finite = values.filter(
    (v): v is number => v !== null && Number.isFinite(v)
  );
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const log = logIfWide && finite.length > 0 && min > 0 && max / min >= 10;
  const scale = log ? 'log' : 'linear';
  if (finite.length === 0 || min === max) {
    const ticks = finite.length
      ? [{ label: formatNumber(min), position: 0.5 }]
      : [];
    return {
      key,
      kind: 'numeric',
      scale: 'linear',
      ticks,
      positions: values.map(v =>
        v !== null && Number.isFinite(v) ? 0.5 : null
      )
    };
  }
  const f = log ? Math.log10 : (v: number) => v;
  const at = (v: number) => (f(v) - f(min)) / (f(max) - f(min));
  const ticks = (log ? logTicks(min, max) : linearTicks(min, max)).map(v => ({
    label: formatNumber(v),
    position: at(v)
  }));
  return {
    key,
    kind: 'numeric',
    scale,
    ticks,
    positions: values.map(v =>
      v === null || !Number.isFinite(v) ? null : at(v)
    )
  };
}

/**
 * Round values (1, 2 or 5 × 10^k apart) within [min, max]; the two ends
 * themselves when fewer than two fit.
 */
export function linearTicks(min: number, max: number): number[] {
  const rough = (max - min) / (MAX_TICKS - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step =
    [1, 2, 5, 10].map(m => m * power).find(s => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let i = Math.ceil(min / step); i * step <= max + step * 1e-9; i++) {
    // Multiplying (not adding) keeps 0.1 + 0.2 from turning into 0.30000000000000004.
    ticks.push(Number((i * step).toPrecision(12)));
  }
  return ticks.length >= 2 ? ticks : [min, max];
}

/**
 * Powers of ten within [min, max] (with 2× and 5× when under three decades);
 * the two ends themselves when fewer than two fit.
 */
export function logTicks(min: number, max: number): number[] {
  const low = Math.floor(Math.log10(min));
  const high = Math.ceil(Math.log10(max));
  const inRange = (v: number) => v >= min * (1 - 1e-9) && v <= max * (1 + 1e-9);
  const decade = (multiples: number[]) => {
    const ticks: number[] = [];
    for (let k = low; k <= high; k++) {
      multiples.forEach(m => ticks.push(Number((m * 10 ** k).toPrecision(12))));
    }
    return ticks.filter(inRange);
  };
  const fine = high - low < 3 ? decade([1, 2, 5]) : [];
  const kept =
    fine.length >= 2 && fine.length <= MAX_TICKS ? fine : decade([1]);
  return kept.length >= 2 ? kept : [min, max];
}

/**
 * Every axis: the params worth one, then the metric.
 */
export function parallelAxes(
  runs: readonly IParallelRun[],
  metric: string
): IAxis[] {
  const params = paramAxisKeys(runs).map(key => paramAxis(key, runs));
  return [
    ...params,
    numericAxis(
      metric,
      runs.map(run => run.value)
    )
  ];
}

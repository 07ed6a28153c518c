/**
 * The axes of a parallel-coordinates plot of params → one metric: numeric
 * params on linear axes, the others as ordered categories. Pure functions.
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
      values.map(v => (v === undefined ? null : Number(v)))
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
    ticks: categories.map((label, i) => ({ label, position: at(i) })),
    positions: values.map(v =>
      v === undefined ? null : at(categories.indexOf(v))
    )
  };
}

/**
 * A linear axis over the finite values; the others get no position.
 */
export function numericAxis(key: string, values: (number | null)[]): IAxis {
  const finite = values.filter(
    (v): v is number => v !== null && Number.isFinite(v)
  );
  if (finite.length === 0) {
    return {
      key,
      kind: 'numeric',
      ticks: [],
      positions: values.map(() => null)
    };
  }
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min;
  const at = (v: number) => (span === 0 ? 0.5 : (v - min) / span);
  const ticks: ITick[] =
    span === 0
      ? [{ label: formatNumber(min), position: 0.5 }]
      : [0, 0.25, 0.5, 0.75, 1].map(p => ({
          label: formatNumber(min + p * span),
          position: p
        }));
  return {
    key,
    kind: 'numeric',
    ticks,
    positions: values.map(v =>
      v === null || !Number.isFinite(v) ? null : at(v)
    )
  };
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

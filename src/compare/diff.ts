/**
 * The diff table's content, transposed (rows are keys, columns are runs):
 * run attributes, params, and each metric's last / min / max / best, with the
 * best cell of each metric row marked. Pure functions, no DOM.
 */

import { formatDuration } from '../chart/series';
import { IRun, MetricPoint, WireNumber } from '../tokens';
import { Direction } from './bestDirection';

/**
 * Which value of a metric a row shows. `best` is the min or the max,
 * whichever the metric's direction prefers.
 */
export type Stat = 'last' | 'min' | 'max' | 'best';

/**
 * Every stat, in the order rows show them.
 */
export const STATS: readonly Stat[] = ['last', 'min', 'max', 'best'];

/**
 * One run's summary of one metric.
 */
export interface IMetricSummary {
  /** The last value the run reports (may be NaN or ±Infinity), null if none. */
  last: number | null;
  /** The smallest finite value of the series, null if it has none. */
  min: number | null;
  /** The largest finite value of the series, null if it has none. */
  max: number | null;
}

/**
 * A run as a column of the table.
 */
export interface IDiffColumn {
  /** A key unique among the columns. */
  id: string;
  /** The header text. */
  label: string;
  /** The workspace the run is in. */
  workspace: string;
  /** The run. */
  run: IRun;
  /** Summaries of the run's metrics, by key. */
  metrics: Record<string, IMetricSummary>;
}

/**
 * A cell: the value compared and marked, and the text shown.
 */
export interface IDiffCell {
  /** A number, a string, or null where the run has no value. */
  value: number | string | null;
  /** The text shown (a dash where there is no value). */
  text: string;
  /** Whether this is the best value of a metric row. */
  best: boolean;
}

/**
 * A row of the table.
 */
export interface IDiffRow {
  kind: 'attribute' | 'param' | 'metric';
  key: string;
  /** The metric value shown, null for attributes and params. */
  stat: Stat | null;
  /** The direction of a metric row, null for attributes and params. */
  direction: Direction | null;
  cells: IDiffCell[];
  /** Whether the runs' values are not all the same. */
  differs: boolean;
}

/**
 * How rows are built.
 */
export interface IDiffOptions {
  /** The stats each metric shows, one row each. */
  stats: readonly Stat[];
  /** The direction of a metric. */
  direction: (key: string) => Direction;
  /** Keep only rows whose values are not all the same. */
  onlyDifferences: boolean;
}

/**
 * The text of a cell without a value.
 */
export const MISSING = '—';

/**
 * A wire metric value as a number: `"NaN"`, `"Infinity"` and `"-Infinity"`
 * become their numbers; null or undefined stays null.
 */
export function wireToNumber(
  value: WireNumber | null | undefined
): number | null {
  if (value === null || value === undefined) {
    return null;
  }
  if (typeof value === 'number') {
    return value;
  }
  return value === 'NaN' ? NaN : value === 'Infinity' ? Infinity : -Infinity;
}

/**
 * A run's summary of a metric: `last` from the run, min and max from its
 * series (a sampled series keeps every global extreme, so they are exact).
 */
export function summarize(
  last: WireNumber | null | undefined,
  points: readonly MetricPoint[]
): IMetricSummary {
  let min: number | null = null;
  let max: number | null = null;
  for (const point of points) {
    const value = point[2];
    if (value === null || !Number.isFinite(value)) {
      continue;
    }
    min = min === null || value < min ? value : min;
    max = max === null || value > max ? value : max;
  }
  return { last: wireToNumber(last), min, max };
}

/**
 * A stat of a summary.
 */
export function statValue(
  summary: IMetricSummary | undefined,
  stat: Stat,
  direction: Direction
): number | null {
  if (!summary) {
    return null;
  }
  const which = stat === 'best' ? direction : stat;
  return summary[which];
}

/**
 * Which cells hold the best value: finite, the lowest (`min`) or highest
 * (`max`), and not shared by every column (a row where all runs are equal has
 * no best). Ties are all marked. NaN and ±Infinity are never best.
 */
export function bestCells(
  values: readonly (number | string | null)[],
  direction: Direction
): boolean[] {
  let extreme: number | null = null;
  for (const value of values) {
    if (typeof value === 'number' && Number.isFinite(value)) {
      if (
        extreme === null ||
        (direction === 'min' ? value < extreme : value > extreme)
      ) {
        extreme = value;
      }
    }
  }
  if (extreme === null || values.every(value => value === extreme)) {
    return values.map(() => false);
  }
  return values.map(value => value === extreme);
}

/**
 * Whether two cell values are the same (NaN is the same as NaN).
 */
export function sameValue(
  a: number | string | null,
  b: number | string | null
): boolean {
  return Object.is(a, b) || (a === 0 && b === 0);
}

/**
 * A number as the table shows it: short but exact enough to tell runs apart.
 */
export function formatNumber(value: number): string {
  if (Number.isNaN(value)) {
    return 'NaN';
  }
  if (!Number.isFinite(value)) {
    return value > 0 ? 'Infinity' : '-Infinity';
  }
  if (value !== 0 && (Math.abs(value) >= 1e7 || Math.abs(value) < 1e-4)) {
    return value.toExponential(4);
  }
  return String(Number(value.toPrecision(6)));
}

/**
 * Column headers: the run name, with a short id where two runs share it.
 */
export function columnLabels(runs: readonly IRun[]): string[] {
  const names = runs.map(run => run.run_name || run.run_id);
  const count = new Map<string, number>();
  names.forEach(name => count.set(name, (count.get(name) ?? 0) + 1));
  return names.map((name, i) =>
    count.get(name)! > 1 ? `${name} (${runs[i].run_id.slice(0, 8)})` : name
  );
}

/**
 * The metric keys of the columns, sorted.
 */
export function metricKeys(columns: readonly IDiffColumn[]): string[] {
  const keys = new Set<string>();
  for (const column of columns) {
    Object.keys(column.run.metrics).forEach(key => keys.add(key));
    Object.keys(column.metrics).forEach(key => keys.add(key));
  }
  return [...keys].sort(Private.byName);
}

/**
 * The param keys of the columns, sorted.
 */
export function paramKeys(columns: readonly IDiffColumn[]): string[] {
  const keys = new Set<string>();
  columns.forEach(c => Object.keys(c.run.params).forEach(k => keys.add(k)));
  return [...keys].sort(Private.byName);
}

/**
 * The rows of the table: attributes, params, then metrics (one row per stat).
 */
export function buildDiffRows(
  columns: readonly IDiffColumn[],
  options: IDiffOptions
): IDiffRow[] {
  const rows: IDiffRow[] = [];
  const plain = (
    kind: 'attribute' | 'param',
    key: string,
    values: (string | null)[]
  ) => {
    rows.push(
      Private.row(
        kind,
        key,
        null,
        null,
        values,
        values.map(v => v ?? MISSING)
      )
    );
  };
  for (const [key, read] of Private.ATTRIBUTES) {
    plain('attribute', key, columns.map(read));
  }
  for (const key of paramKeys(columns)) {
    plain(
      'param',
      key,
      columns.map(c => c.run.params[key] ?? null)
    );
  }
  for (const key of metricKeys(columns)) {
    const direction = options.direction(key);
    for (const stat of options.stats) {
      const values = columns.map(c =>
        statValue(c.metrics[key], stat, direction)
      );
      const texts = values.map(v => (v === null ? MISSING : formatNumber(v)));
      const row = Private.row('metric', key, stat, direction, values, texts);
      const best = bestCells(values, direction);
      row.cells.forEach((cell, i) => (cell.best = best[i]));
      rows.push(row);
    }
  }
  return options.onlyDifferences ? rows.filter(row => row.differs) : rows;
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Run attributes shown above the params, and how to read them.
   */
  export const ATTRIBUTES: [string, (c: IDiffColumn) => string | null][] = [
    ['workspace', c => c.workspace],
    ['experiment', c => c.run.experiment_id],
    ['status', c => c.run.status],
    ['start', c => (c.run.start_time ? localTime(c.run.start_time) : null)],
    [
      'duration',
      c =>
        c.run.start_time && c.run.end_time
          ? formatDuration((c.run.end_time - c.run.start_time) / 1000)
          : null
    ]
  ];

  /**
   * A row, with `differs` worked out from its values.
   */
  export function row(
    kind: IDiffRow['kind'],
    key: string,
    stat: Stat | null,
    direction: Direction | null,
    values: (number | string | null)[],
    texts: string[]
  ): IDiffRow {
    const differs = values.some(v => !sameValue(v, values[0]));
    const cells = values.map((value, i) => ({
      value,
      text: texts[i],
      best: false
    }));
    return { kind, key, stat, direction, cells, differs };
  }

  /**
   * Sort names as people do: `lr2` before `lr10`.
   */
  export function byName(a: string, b: string): number {
    return a.localeCompare(b, undefined, { numeric: true });
  }

  /**
   * An epoch time in milliseconds as local `YYYY-MM-DD HH:MM`.
   */
  function localTime(ms: number): string {
    const d = new Date(ms);
    const pad = (n: number) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  }
}

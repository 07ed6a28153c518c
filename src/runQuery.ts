export { failureMessage } from './request';
import { ServerConnection } from '@jupyterlab/services';

import { IRun } from './tokens';

/**
 * One sort column: `attributes.<name>`, `metrics.<key>` or `params.<key>`.
 */
export interface IRunSort {
  column: string;
  direction: 'ASC' | 'DESC';
}

/**
 * What one set of run rows was loaded with.
 */
export interface IRunsQuery {
  workspace: string;
  experimentIds: readonly string[];
  filter: string;
  orderBy: string;
}

/**
 * The metric and param column ids a user can add, sorted.
 */
export interface IAvailableColumns {
  metrics: string[];
  params: string[];
}

/**
 * The column ids of the sortable run attributes.
 */
export const RunColumns = {
  startTime: 'attributes.start_time',
  runName: 'attributes.run_name',
  status: 'attributes.status'
} as const;

/**
 * Newest runs first (MLflow's own default order).
 */
export const DEFAULT_SORT: IRunSort = {
  column: RunColumns.startTime,
  direction: 'DESC'
};

/**
 * The kind (`metrics`, `params`, `attributes`) and key of a column id.
 */
export function splitColumn(column: string): [string, string] {
  const dot = column.indexOf('.');
  return dot < 0 ? ['', column] : [column.slice(0, dot), column.slice(dot + 1)];
}

/**
 * The `order_by` clause of a sort; keys beyond word characters are backquoted,
 * as MLflow (and the extension's own ordering) parse them.
 */
export function orderByClause(sort: IRunSort): string {
  const [kind, key] = splitColumn(sort.column);
  const name = /^\w+$/.test(key) ? key : `\`${key}\``;
  return `${kind ? `${kind}.` : ''}${name} ${sort.direction}`;
}

/**
 * The metric and param keys the runs have, as column ids.
 */
export function availableColumns(runs: readonly IRun[]): IAvailableColumns {
  const metrics = new Set<string>();
  const params = new Set<string>();
  for (const run of runs) {
    for (const key in run.metrics) {
      metrics.add(`metrics.${key}`);
    }
    for (const key in run.params) {
      params.add(`params.${key}`);
    }
  }
  return { metrics: [...metrics].sort(), params: [...params].sort() };
}

/**
 * `head` followed by the runs of `tail` that `head` does not hold: pages that
 * overlap (offsets shift when runs are added) merge without duplicates.
 */
export function mergeRuns(
  head: readonly IRun[],
  tail: readonly IRun[]
): IRun[] {
  const seen = new Set<string>();
  const runs: IRun[] = [];
  for (const list of [head, tail]) {
    for (const run of list) {
      if (!seen.has(run.run_id)) {
        seen.add(run.run_id);
        runs.push(run);
      }
    }
  }
  return runs;
}

/**
 * Whether the server rejected the input (HTTP 400).
 */
export function isBadRequest(error: unknown): boolean {
  return (
    error instanceof ServerConnection.ResponseError &&
    error.response.status === 400
  );
}

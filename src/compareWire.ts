/**
 * The wire types of the compare API (`POST api/workspaces/{ws}/compare`, as
 * `jupyterlab_aml/compare.py` answers it); `tokens.ts` re-exports them.
 */

import type { IRun, MetricPoint } from './tokens';

/**
 * The body of `POST api/workspaces/{ws}/compare`.
 */
export interface ICompareRequest {
  run_ids: string[];
  /** `null` compares every metric key the runs have. */
  keys: string[] | null;
  max_points: number;
}

/**
 * One run's series of one metric in a comparison.
 */
export interface ICompareSeries {
  total_points: number;
  sampled: boolean;
  points: MetricPoint[];
}

/**
 * The reply of `POST api/workspaces/{ws}/compare`.
 */
export interface ICompareResponse {
  runs: IRun[];
  /** `series[key][run_id]`. */
  series: Record<string, Record<string, ICompareSeries>>;
  /** Run ids the workspace does not know (the others are compared; 404 if none is). */
  missing?: string[];
}

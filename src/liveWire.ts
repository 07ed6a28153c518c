/**
 * The wire types of a kernel's runs (`GET api/kernels/{kernel_id}/runs`) and
 * of the live channel (`api/live`, see `jupyterlab_aml/live.py`); `tokens.ts`
 * re-exports them.
 */

import type { IRun, MetricPoint } from './tokens';

/**
 * The reply of `GET api/kernels/{kernel_id}/runs`, newest run first.
 */
export interface IKernelRuns {
  workspace: string;
  runs: IRun[];
}

/**
 * Which run a live subscription follows.
 */
export interface ILiveTarget {
  workspace: string;
  run_id: string;
}

/**
 * A message the browser sends on `api/live`.
 */
export type LiveClientMessage =
  { subscribe: ILiveTarget } | { unsubscribe: ILiveTarget };

/**
 * New points of a subscribed run, pushed as the kernel logs them.
 */
export interface ILiveMetricsMessage extends ILiveTarget {
  type: 'metrics';
  points: Record<string, MetricPoint[]>;
}

/**
 * A run was created or changed status.
 */
export interface ILiveRunMessage {
  type: 'run';
  workspace: string;
  run: IRun;
}

/**
 * A message the server sends on `api/live`.
 */
export type LiveServerMessage = ILiveMetricsMessage | ILiveRunMessage;

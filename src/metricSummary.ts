import { IMetricExtreme, MetricPoint } from './tokens';

/**
 * A metric's global min and max, as the run detail shows them.
 */
export interface IMetricSummary {
  state: 'loading' | 'loaded' | 'error';
  min?: IMetricExtreme;
  max?: IMetricExtreme;
  error?: string;
}

/**
 * Finished runs' metric min/max by workspace, run and key, newest kept.
 */
export class MetricSummaryCache {
  /**
   * Create a cache holding at most `capacity` summaries.
   */
  constructor(capacity = 2000) {
    this._capacity = capacity;
  }

  /**
   * The summary of a run's metric, if cached.
   */
  get(
    workspace: string,
    runId: string,
    key: string
  ): IMetricSummary | undefined {
    return this._items.get(JSON.stringify([workspace, runId, key]));
  }

  /**
   * Cache the summary of a run's metric, dropping the oldest beyond capacity.
   */
  set(
    workspace: string,
    runId: string,
    key: string,
    summary: IMetricSummary
  ): void {
    const id = JSON.stringify([workspace, runId, key]);
    this._items.delete(id);
    this._items.set(id, summary);
    while (this._items.size > this._capacity) {
      this._items.delete(this._items.keys().next().value!);
    }
  }

  private _capacity: number;
  private _items = new Map<string, IMetricSummary>();
}

/**
 * The point MLflow calls latest: the highest step, then the latest time.
 */
export function newestPoint(
  points: readonly MetricPoint[]
): MetricPoint | null {
  let best: MetricPoint | null = null;
  for (const point of points) {
    if (
      !best ||
      point[0] > best[0] ||
      (point[0] === best[0] && point[1] >= best[1])
    ) {
      best = point;
    }
  }
  return best;
}

/**
 * A loaded min/max taking in new points (non-finite values are left out).
 */
export function widenSummary(
  summary: IMetricSummary,
  points: readonly MetricPoint[]
): IMetricSummary {
  let { min, max } = summary;
  for (const [step, , value] of points) {
    if (value === null) {
      continue;
    }
    // Wire values may be "NaN" or "±Infinity": Number() reads them.
    const low = min ? Number(min.value) : NaN;
    const high = max ? Number(max.value) : NaN;
    if (!min || Number.isNaN(low) || value < low) {
      min = { step, value };
    }
    if (!max || Number.isNaN(high) || value > high) {
      max = { step, value };
    }
  }
  return { ...summary, min, max };
}

import { MetricSeries } from '../chart/series';
import { MetricPoint } from '../tokens';

/**
 * The metric series of a comparison, by metric and run key: replies of the
 * compare API applied through a `SeriesLoad`, so that points pushed while a
 * request is out are kept, and pushed points merged.
 */
export class CompareSeries {
  /** The metric keys of every run, sorted by name. */
  get metrics(): string[] {
    return [...this._byMetric.keys()].sort((a, b) =>
      a.localeCompare(b, undefined, { numeric: true })
    );
  }

  /**
   * A run's points of a metric, ordered by step then timestamp.
   */
  points(metric: string, run: string): readonly MetricPoint[] {
    return this._byMetric.get(metric)?.get(run)?.points ?? [];
  }

  /**
   * Whether a run's series of a metric is a downsample (extremes kept).
   */
  isSampled(metric: string, run: string): boolean {
    return this._byMetric.get(metric)?.get(run)?.sampled ?? false;
  }

  /**
   * Merge pushed points into a run's series of a metric; that series.
   */
  push(
    metric: string,
    run: string,
    rows: readonly MetricPoint[]
  ): MetricSeries {
    const series = this._seriesOf(metric, run);
    series.push(rows);
    return series;
  }

  /**
   * Forget a run's series.
   */
  removeRun(run: string): void {
    for (const [metric, byRun] of this._byMetric) {
      byRun.delete(run);
      if (byRun.size === 0) {
        this._byMetric.delete(metric);
      }
    }
  }

  /**
   * Start loading the series of `runs`: from now on their pushed points are
   * kept aside until the load's reply is applied or the load finishes.
   */
  beginLoad(runs: readonly string[]): SeriesLoad {
    const tickets = new Map<MetricSeries, number>();
    for (const run of runs) {
      for (const byRun of this._byMetric.values()) {
        const series = byRun.get(run);
        if (series) {
          tickets.set(series, series.beginLoad());
        }
      }
    }
    return new SeriesLoad(tickets, (metric, run) =>
      this._seriesOf(metric, run)
    );
  }

  private _seriesOf(metric: string, run: string): MetricSeries {
    let byRun = this._byMetric.get(metric);
    if (!byRun) {
      byRun = new Map();
      this._byMetric.set(metric, byRun);
    }
    let series = byRun.get(run);
    if (!series) {
      series = new MetricSeries();
      byRun.set(run, series);
    }
    return series;
  }

  /** `_byMetric.get(metric).get(runKey)`. */
  private _byMetric = new Map<string, Map<string, MetricSeries>>();
}

/**
 * One load of runs' series under way (see `CompareSeries.beginLoad`).
 */
export class SeriesLoad {
  /**
   * Created by `CompareSeries.beginLoad` only.
   */
  constructor(
    private _tickets: Map<MetricSeries, number>,
    private _seriesOf: (metric: string, run: string) => MetricSeries
  ) {}

  /**
   * Apply the reply's points of a run's metric; whether they were applied
   * (not when a newer load of that series started since).
   */
  apply(
    metric: string,
    run: string,
    points: readonly MetricPoint[],
    sampled: boolean
  ): boolean {
    const series = this._seriesOf(metric, run);
    const ticket = this._tickets.get(series) ?? series.beginLoad();
    this._tickets.delete(series);
    return series.applyHistory(ticket, points, sampled);
  }

  /**
   * End the load: series the reply did not cover (or all, when it failed)
   * keep their points.
   */
  finish(): void {
    for (const [series, ticket] of this._tickets) {
      series.failLoad(ticket);
    }
    this._tickets.clear();
  }
}

import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { MetricSeries } from './chart/series';
import { IAmlClient, IMetricHistory, MetricPoint } from './tokens';

/**
 * The metric series of one run: each key's REST history (downsampled to a
 * point budget) with pushed points merged in. It fetches histories; whoever
 * holds it decides when.
 */
export class RunMetrics implements IDisposable {
  /**
   * Create the (empty) series of a run; `keys` are known keys without points yet.
   */
  constructor(options: RunMetrics.IOptions) {
    this._client = options.client;
    this.workspace = options.workspace;
    this.runId = options.runId;
    this.maxPoints = options.maxPoints;
    this._maxHeld = options.maxHeldPoints;
    this.addKeys(options.keys ?? []);
  }

  /** The workspace of the run. */
  readonly workspace: string;

  /** The run's id. */
  readonly runId: string;

  /** How many points a history load asks for. */
  maxPoints: number;

  /** Emitted with the keys whose points changed. */
  get changed(): ISignal<this, readonly string[]> {
    return this._changed;
  }

  /** The metric keys, in the order they were first logged. */
  get keys(): readonly string[] {
    const first = (key: string) => this._series.get(key)!.firstTimestamp;
    // A stable sort: keys with no points yet keep the order they came in.
    return [...this._series.keys()].sort((a, b) => first(a) - first(b) || 0);
  }

  /** Whether the series are disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The points of a metric, ordered by step then timestamp (empty if unknown).
   */
  series(key: string): readonly MetricPoint[] {
    return this._series.get(key)?.points ?? [];
  }

  /**
   * Whether a metric's points are a downsample of its history.
   */
  isSampled(key: string): boolean {
    return this._series.get(key)?.sampled ?? false;
  }

  /**
   * Know `keys` (e.g. the run's metrics); whether any was new.
   */
  addKeys(keys: Iterable<string>): boolean {
    let added = false;
    for (const key of keys) {
      if (!this._series.has(key)) {
        this._series.set(key, new MetricSeries());
        added = true;
      }
    }
    return added;
  }

  /**
   * Load every known key's history again.
   */
  async loadAll(): Promise<void> {
    await Promise.all([...this._series.keys()].map(k => this.loadHistory(k)));
  }

  /**
   * Load a key's history (downsampled to `maxPoints`); points pushed meanwhile
   * are kept.
   */
  async loadHistory(key: string): Promise<void> {
    const series = this._series.get(key);
    if (!series || this._isDisposed) {
      return;
    }
    const ticket = series.beginLoad();
    try {
      const history = await this._client.getMetricHistory(
        this.workspace,
        this.runId,
        key,
        { max_points: this.maxPoints }
      );
      if (
        !this._isDisposed &&
        series.applyHistory(ticket, history.points, history.sampled)
      ) {
        this._changed.emit([key]);
      }
    } catch (error) {
      series.failLoad(ticket);
      // 404: logged too recently for the store to list it; pushes carry on.
      const notFound =
        error instanceof ServerConnection.ResponseError &&
        error.response.status === 404;
      if (!notFound) {
        console.warn('jupyterlab-aml: cannot load history of', key, error);
      }
    }
  }

  /**
   * Fetch each key's points from its last held step on and merge them in
   * (the polling fallback); a key with no points loads its whole history.
   *
   * @throws when a fetch fails, so that a poll backs off.
   */
  async fetchNew(): Promise<void> {
    await Promise.all(
      [...this._series.entries()].map(async ([key, series]) => {
        const last = series.points[series.points.length - 1];
        if (!last) {
          return this.loadHistory(key);
        }
        await this._mergeFrom(key, series, last[0]);
      })
    );
  }

  /**
   * Read what was logged from each key's last history point on and merge it
   * in: histories asked for before the live subscription was acknowledged
   * may miss points logged just before the server listened, which are never
   * pushed. A key without a history, or with more logged since than a load
   * holds, loads its whole history.
   *
   * Points logged meanwhile at a step before that history's last one are not
   * read again (MLflow histories are read by step, and loggers count up).
   */
  async catchUp(keys: Iterable<string>): Promise<void> {
    await Promise.all(
      [...keys].map(async key => {
        const series = this._series.get(key);
        const end = series?.historyEnd;
        if (!series || !end) {
          return this.loadHistory(key);
        }
        try {
          const since = await this._mergeFrom(key, series, end[0]);
          if (since.sampled) {
            await this.loadHistory(key);
          }
        } catch {
          await this.loadHistory(key);
        }
      })
    );
  }

  /**
   * Merge pushed points; `thinned` lists keys whose backlog the server
   * downsampled, which are loaded again, as are keys holding too many points.
   */
  push(points: Record<string, MetricPoint[]>, thinned: string[] = []): void {
    const keys: string[] = [];
    for (const [key, rows] of Object.entries(points)) {
      this.addKeys([key]);
      const series = this._series.get(key)!;
      series.push(rows);
      keys.push(key);
      // A budget raised later (settings) must not reload on every push.
      const limit = Math.max(this._maxHeld, 2 * this.maxPoints);
      const tooMany = series.points.length > limit;
      if (thinned.includes(key) || (tooMany && !series.isLoading)) {
        void this.loadHistory(key);
      }
    }
    if (keys.length) {
      this._changed.emit(keys);
    }
  }

  /**
   * Stop emitting; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    Signal.clearData(this);
  }

  /**
   * Fetch a key's points from `step` on and merge them in; the reply.
   */
  private async _mergeFrom(
    key: string,
    series: MetricSeries,
    step: number
  ): Promise<IMetricHistory> {
    const history = await this._client.getMetricHistory(
      this.workspace,
      this.runId,
      key,
      { max_points: this.maxPoints, start_step: step }
    );
    if (!this._isDisposed && history.points.length > 0) {
      series.push(history.points);
      this._changed.emit([key]);
    }
    return history;
  }

  private _client: IAmlClient;
  private _maxHeld: number;
  private _series = new Map<string, MetricSeries>();
  private _isDisposed = false;
  private _changed = new Signal<this, readonly string[]>(this);
}

/**
 * The RunMetrics statics.
 */
export namespace RunMetrics {
  /**
   * The options to create the series of a run.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The workspace of the run. */
    workspace: string;
    /** The run's id. */
    runId: string;
    /** How many points a history load asks for. */
    maxPoints: number;
    /** Past this many points held, a series is loaded again, downsampled. */
    maxHeldPoints: number;
    /** Keys known without points yet. */
    keys?: Iterable<string>;
  }
}

import { IDisposable } from '@lumino/disposable';

import { comparePoints } from '../chart/series';
import {
  ILiveClient,
  ILiveMetricsPush,
  LiveSubscription
} from '../liveChannel';
import { PollInterval } from '../pollInterval';
import { RunPollFallback } from '../runPollFallback';
import { ILiveRunMessage, MetricPoint } from '../tokens';
import type { CompareModel } from './compareModel';
import { CompareSeries } from './compareSeries';
import { runKey } from './runRef';

/**
 * Keeps the RUNNING runs of a comparison up to date over `api/live`: it
 * subscribes while a run runs, merges pushed points and statuses into the
 * comparison, and asks its model to load a run again when pushes may have
 * missed points (each acknowledgement) or hold too many. While the live
 * socket is down, each running run is loaded again every poll interval.
 */
export class CompareLiveUpdates implements IDisposable {
  /**
   * Listen on `options.live`; runs are followed with `follow`.
   */
  constructor(options: CompareLiveUpdates.IOptions) {
    this._live = options.live;
    this._series = options.series;
    this._entry = options.entry;
    this._reload = options.reload;
    this._changed = options.changed;
    this._heldLimit = options.heldLimit;
    this._pollInterval = options.pollInterval;
    this._live.metricsReceived.connect(this._onMetrics, this);
    this._live.runReceived.connect(this._onRun, this);
  }

  /** Whether the updates are disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Follow a RUNNING run; stop following one that ended.
   */
  follow(entry: CompareModel.IEntry): void {
    if (entry.run?.status !== 'RUNNING') {
      this.unfollow(entry.key);
      return;
    }
    if (this._followed.has(entry.key)) {
      return;
    }
    const isCurrent = () => this._entry(entry.key) === entry;
    const subscription = this._live.subscribe(
      entry.ref.workspace,
      entry.ref.run_id
    );
    // Points logged between the load and the subscription (or while the
    // socket was down) were not pushed: load the run again.
    subscription.acknowledged.connect(() => {
      if (isCurrent()) {
        void this._reload(entry);
      }
    });
    const fallback = new RunPollFallback({
      live: this._live,
      subscription,
      isRunning: () => isCurrent() && entry.run?.status === 'RUNNING',
      refresh: async () => {
        if (isCurrent() && !(await this._reload(entry))) {
          throw new Error(`cannot load run ${entry.ref.run_id}`); // back off
        }
      },
      interval: this._pollInterval
    });
    this._followed.set(entry.key, { subscription, fallback });
  }

  /**
   * After a load of a run: where points pushed while it was out go past the
   * reply's last point of a metric (`replied`), the run's last value is the
   * newest pushed one, since the reply's record of the run predates them.
   */
  keepPushedLast(
    entry: CompareModel.IEntry,
    replied: (metric: string) => MetricPoint | undefined
  ): void {
    for (const metric of this._series.metrics) {
      const points = this._series.points(metric, entry.key);
      const last = points[points.length - 1];
      const answered = replied(metric);
      if (last && (!answered || comparePoints(last, answered) > 0)) {
        this._syncLast(entry, metric);
      }
    }
  }

  /**
   * Stop following a run.
   */
  unfollow(key: string): void {
    const followed = this._followed.get(key);
    followed?.fallback.dispose();
    followed?.subscription.dispose();
    this._followed.delete(key);
  }

  /**
   * Unsubscribe from every run; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const key of [...this._followed.keys()]) {
      this.unfollow(key);
    }
    this._live.metricsReceived.disconnect(this._onMetrics, this);
    this._live.runReceived.disconnect(this._onRun, this);
  }

  private _onMetrics(_: unknown, message: ILiveMetricsPush): void {
    const key = runKey({
      workspace: message.workspace,
      run_id: message.run_id
    });
    const entry = this._entry(key);
    if (!entry?.run) {
      return;
    }
    const keys: string[] = [];
    let reload = false;
    for (const [metric, rows] of Object.entries(message.points)) {
      const series = this._series.push(metric, key, rows);
      this._syncLast(entry, metric);
      keys.push(metric);
      const thinned = message.sampled?.includes(metric) ?? false;
      const tooMany = series.points.length > this._heldLimit();
      reload ||= thinned || (tooMany && !series.isLoading);
    }
    if (reload) {
      void this._reload(entry);
    }
    if (keys.length) {
      this._changed({ runs: false, keys });
    }
  }

  private _onRun(_: unknown, message: ILiveRunMessage): void {
    const entry = this._entry(
      runKey({ workspace: message.workspace, run_id: message.run.run_id })
    );
    if (!entry?.run) {
      return;
    }
    entry.run = { ...message.run, metrics: { ...message.run.metrics } };
    // The message may predate points pushed since: the series know better.
    for (const metric of this._series.metrics) {
      this._syncLast(entry, metric);
    }
    this.follow(entry);
    this._changed({ runs: true, keys: [] });
  }

  /**
   * Set a run's last value of a metric from its series' last point.
   */
  private _syncLast(entry: CompareModel.IEntry, metric: string): void {
    const points = this._series.points(metric, entry.key);
    const last = points[points.length - 1];
    if (!entry.run || !last) {
      return;
    }
    const held = entry.run.metrics[metric];
    // A null point is a non-finite value: keep the run's spelling of it.
    entry.run.metrics[metric] =
      last[2] ?? (typeof held === 'string' ? held : 'NaN');
  }

  private _live: ILiveClient;
  private _series: CompareSeries;
  private _entry: (key: string) => CompareModel.IEntry | undefined;
  private _reload: (entry: CompareModel.IEntry) => Promise<boolean>;
  private _changed: (change: CompareModel.IChange) => void;
  private _heldLimit: () => number;
  private _pollInterval: PollInterval | undefined;
  private _followed = new Map<
    string,
    { subscription: LiveSubscription; fallback: RunPollFallback }
  >();
  private _isDisposed = false;
}

/**
 * The CompareLiveUpdates statics.
 */
export namespace CompareLiveUpdates {
  /**
   * What the updates work on.
   */
  export interface IOptions {
    /** The live channel. */
    live: ILiveClient;
    /** The comparison's series, which pushed points go into. */
    series: CompareSeries;
    /** A compared run by its key, or undefined once removed. */
    entry: (key: string) => CompareModel.IEntry | undefined;
    /** Load a run again; resolves false when that failed (the entry says why). */
    reload: (entry: CompareModel.IEntry) => Promise<boolean>;
    /** Report a change (the model emits it). */
    changed: (change: CompareModel.IChange) => void;
    /** Past this many points held, a series is loaded again, sampled. */
    heldLimit: () => number;
    /** How often a running run is loaded while the live socket is down (the setting). */
    pollInterval?: PollInterval;
  }
}

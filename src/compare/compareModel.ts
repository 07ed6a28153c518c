import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ILiveClient } from '../liveChannel';
import { PollInterval } from '../pollInterval';
import { failureMessage } from '../request';
import { IAmlClient, IRun, MetricPoint } from '../tokens';
import { CompareLiveUpdates } from './compareLive';
import { CompareSeries } from './compareSeries';
import { IMetricSummary, summarize } from './diff';
import { COMPARE_MARKS, mark } from './perfMarks';
import { freeColorSlot } from './runColors';
import { IRunRef, runKey } from './runRef';

/**
 * The runs of a comparison and their metric series: fetched per workspace
 * with `POST api/workspaces/{ws}/compare` (sampled, extremes kept) and merged,
 * then kept up to date over `api/live` while a run is RUNNING.
 *
 * Each run keeps its colour slot while runs are added and removed.
 */
export class CompareModel implements IDisposable {
  /**
   * Create an empty comparison; add runs with `add`.
   */
  constructor(options: CompareModel.IOptions) {
    this._client = options.client;
    this._pointBudget = options.pointBudget ?? CompareModel.pointBudget;
    this._liveUpdates = options.live
      ? new CompareLiveUpdates({
          live: options.live,
          series: this._series,
          entry: key => (this._isDisposed ? undefined : this.entry(key)),
          reload: entry => this._loadWorkspace(entry.ref.workspace, [entry]),
          changed: change => this._changed.emit(change),
          heldLimit: () =>
            CompareModel.MAX_HELD_FACTOR *
            this._pointBudget(this._entries.size),
          pollInterval: options.pollInterval
        })
      : null;
  }

  /** Emitted when runs, their state or visibility, or series change. */
  get changed(): ISignal<this, CompareModel.IChange> {
    return this._changed;
  }

  /** The runs compared, in the order they were added. */
  get refs(): IRunRef[] {
    return this.entries.map(entry => ({ ...entry.ref }));
  }

  /** The runs compared with their state, in the order they were added. */
  get entries(): readonly CompareModel.IEntry[] {
    return [...this._entries.values()];
  }

  /** The metric keys of every run, sorted by name. */
  get keys(): string[] {
    return this._series.metrics;
  }

  /** Whether any run is loading. */
  get loading(): boolean {
    return this.entries.some(entry => entry.state === 'loading');
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * A run by its key (see `runKey`).
   */
  entry(key: string): CompareModel.IEntry | undefined {
    return this._entries.get(key);
  }

  /**
   * A run's points of a metric, ordered by step then timestamp.
   */
  series(metric: string, key: string): readonly MetricPoint[] {
    return this._series.points(metric, key);
  }

  /**
   * Whether a run's series of a metric is a downsample (extremes kept).
   */
  isSampled(metric: string, key: string): boolean {
    return this._series.isSampled(metric, key);
  }

  /**
   * A run's last, min and max of a metric.
   */
  summary(metric: string, key: string): IMetricSummary {
    const run = this._entries.get(key)?.run;
    return summarize(run?.metrics[metric], this.series(metric, key));
  }

  /**
   * Add runs (those already here are skipped) and load them.
   */
  async add(refs: readonly IRunRef[]): Promise<void> {
    const added: CompareModel.IEntry[] = [];
    for (const ref of refs) {
      const key = runKey(ref);
      if (this._entries.has(key)) {
        continue;
      }
      const color = freeColorSlot(this.entries.map(e => e.color));
      const entry: CompareModel.IEntry = {
        key,
        ref: { workspace: ref.workspace, run_id: ref.run_id },
        run: null,
        color,
        state: 'loading',
        error: null,
        hidden: false
      };
      this._entries.set(key, entry);
      added.push(entry);
    }
    if (added.length) {
      this._changed.emit({ runs: true, keys: [] });
      await this._load(added);
    }
  }

  /**
   * Remove a run: its series and live updates go; the others keep their colours.
   */
  remove(key: string): void {
    const entry = this._entries.get(key);
    if (!entry) {
      return;
    }
    this._entries.delete(key);
    this._liveUpdates?.unfollow(key);
    this._series.removeRun(key);
    this._changed.emit({ runs: true, keys: [] });
  }

  /**
   * Show or hide a run in the charts and parallel coordinates.
   */
  setHidden(key: string, hidden: boolean): void {
    const entry = this._entries.get(key);
    if (entry && entry.hidden !== hidden) {
      entry.hidden = hidden;
      this._changed.emit({ runs: true, keys: [] });
    }
  }

  /**
   * Load every run again.
   */
  async refresh(): Promise<void> {
    await this._load(this.entries);
  }

  /**
   * Stop live updates; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._liveUpdates?.dispose();
    Signal.clearData(this);
  }

  /**
   * Load runs: one request per workspace, all at once.
   */
  private async _load(entries: readonly CompareModel.IEntry[]): Promise<void> {
    const byWorkspace = new Map<string, CompareModel.IEntry[]>();
    for (const entry of entries) {
      entry.state = 'loading';
      const group = byWorkspace.get(entry.ref.workspace) ?? [];
      group.push(entry);
      byWorkspace.set(entry.ref.workspace, group);
    }
    mark(COMPARE_MARKS.request);
    await Promise.all(
      [...byWorkspace].map(([workspace, group]) =>
        this._loadWorkspace(workspace, group)
      )
    );
    if (!this._isDisposed) {
      mark(COMPARE_MARKS.applied);
    }
  }

  /**
   * Load runs of one workspace; resolves false when the request failed.
   */
  private async _loadWorkspace(
    workspace: string,
    group: CompareModel.IEntry[]
  ): Promise<boolean> {
    // Points pushed while the request is out are kept aside by each series.
    const load = this._series.beginLoad(group.map(entry => entry.key));
    try {
      const reply = await this._client.compare(workspace, {
        run_ids: group.map(entry => entry.ref.run_id),
        keys: null,
        max_points: this._pointBudget(this._entries.size)
      });
      mark(COMPARE_MARKS.response);
      if (this._isDisposed) {
        return true;
      }
      const runs = new Map(reply.runs.map(run => [run.run_id, run]));
      for (const entry of group) {
        const run = runs.get(entry.ref.run_id);
        if (!this._isCurrent(entry)) {
          continue;
        }
        if (!run) {
          entry.state = 'missing';
          entry.error = `run ${entry.ref.run_id} not found in workspace ${workspace}`;
          continue;
        }
        entry.run = run;
        entry.state = 'ready';
        entry.error = null;
        this._liveUpdates?.follow(entry);
      }
      const changedKeys = new Set<string>();
      for (const [metric, byRun] of Object.entries(reply.series)) {
        for (const entry of group) {
          const reply = byRun[entry.ref.run_id];
          if (!reply || !this._isCurrent(entry)) {
            continue;
          }
          if (load.apply(metric, entry.key, reply.points, reply.sampled)) {
            changedKeys.add(metric);
          }
        }
      }
      load.finish();
      for (const entry of group) {
        if (this._isCurrent(entry)) {
          this._liveUpdates?.keepPushedLast(entry, metric => {
            const points = reply.series[metric]?.[entry.ref.run_id]?.points;
            return points?.[points.length - 1];
          });
        }
      }
      this._changed.emit({ runs: true, keys: [...changedKeys] });
      return true;
    } catch (error) {
      load.finish();
      if (this._isDisposed) {
        return false;
      }
      // 404: none of the runs is known to the workspace.
      const notFound =
        error instanceof ServerConnection.ResponseError &&
        error.response.status === 404;
      for (const entry of group) {
        if (this._isCurrent(entry)) {
          entry.state = notFound ? 'missing' : 'error';
          entry.error = failureMessage(error);
        }
      }
      this._changed.emit({ runs: true, keys: [] });
      return false;
    }
  }

  private _isCurrent(entry: CompareModel.IEntry): boolean {
    return !this._isDisposed && this._entries.get(entry.key) === entry;
  }

  private _client: IAmlClient;
  private _series = new CompareSeries();
  private _liveUpdates: CompareLiveUpdates | null;
  private _pointBudget: (runCount: number) => number;
  private _entries = new Map<string, CompareModel.IEntry>();
  private _isDisposed = false;
  private _changed = new Signal<this, CompareModel.IChange>(this);
}

/**
 * The CompareModel statics.
 */
export namespace CompareModel {
  /** Past this many times the point budget, a live series is reloaded sampled. */
  export const MAX_HELD_FACTOR = 10;

  /**
   * Points per series for a comparison of `runCount` runs: 1000 up to 20
   * runs, then fewer (never under 250) so that 50 runs stay a few MB. Sampling
   * keeps each series' extremes whatever the budget.
   */
  export function pointBudget(runCount: number): number {
    return Math.max(
      250,
      Math.min(1000, Math.floor(20000 / Math.max(runCount, 1)))
    );
  }

  /**
   * What a run in a comparison is doing: loading; loaded; unknown to its
   * workspace; or failed to load.
   */
  export type State = 'loading' | 'ready' | 'missing' | 'error';

  /**
   * A run in a comparison.
   */
  export interface IEntry {
    /** `runKey(ref)`. */
    readonly key: string;
    readonly ref: IRunRef;
    /** The run once loaded. */
    run: IRun | null;
    /** Its palette slot (see `runColor`), kept for as long as it is compared. */
    readonly color: number;
    state: State;
    /** Why it is `missing` or in `error`. */
    error: string | null;
    /** Whether it is hidden from the charts. */
    hidden: boolean;
  }

  /**
   * What changed.
   */
  export interface IChange {
    /** Whether the runs, their state, visibility or records changed. */
    runs: boolean;
    /** The metrics whose points changed. */
    keys: readonly string[];
  }

  /**
   * The options to create a model.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The live channel, for runs still RUNNING; none means no live updates. */
    live?: ILiveClient | null;
    /** How often a running run is loaded while the live socket is down (the setting). */
    pollInterval?: PollInterval;
    /** Points per series for a number of runs (default `pointBudget`). */
    pointBudget?: (runCount: number) => number;
  }
}

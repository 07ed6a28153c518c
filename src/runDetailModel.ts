import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ArtifactsModel } from './artifactsModel';
import { ILiveClient, ILiveMetricsPush } from './liveChannel';
import { PollInterval } from './pollInterval';
import {
  IMetricSummary,
  MetricSummaryCache,
  newestPoint,
  widenSummary
} from './metricSummary';
import { FollowMode } from './runPollFallback';
import { failureMessage } from './runQuery';
import { RunWatch } from './runWatch';
import { IRunProvenance, runProvenance } from './runProvenance';
import { IAmlClient, IRun } from './tokens';

/**
 * One run in detail: the run itself, each metric's global min and max (loaded
 * lazily, cached per run and key), its provenance, and its artifacts.
 *
 * While the run is RUNNING it is watched: pushed status and points update it
 * (last values, min and max), and it is polled over REST while the live
 * socket is down.
 */
export class RunDetailModel implements IDisposable {
  /**
   * Create a model; with `run` given it shows at once, else call `refresh()`.
   */
  constructor(options: RunDetailModel.IOptions) {
    this._client = options.client;
    this.workspace = options.workspace;
    this.runId = options.runId;
    this._run = options.run ?? null;
    this._cache = options.summaryCache ?? new MetricSummaryCache();
    this._live = options.live ?? null;
    this._pollInterval = options.pollInterval;
    this.artifacts = new ArtifactsModel({
      client: options.client,
      workspace: options.workspace,
      runId: options.runId,
      createObjectUrl: options.createObjectUrl,
      revokeObjectUrl: options.revokeObjectUrl
    });
  }

  /** The workspace of the run. */
  readonly workspace: string;

  /** The run's id. */
  readonly runId: string;

  /** The run's artifacts tree and preview. */
  readonly artifacts: ArtifactsModel;

  /** Emitted whenever the run, a metric summary, loading or the error change. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** The run, or null before it is loaded. */
  get run(): IRun | null {
    return this._run;
  }

  /** Where the run came from, read from its tags. */
  get provenance(): IRunProvenance {
    return runProvenance(this._run);
  }

  /** How a running run is kept up to date ('stopped' once it has ended). */
  get followMode(): FollowMode {
    return this._watch?.followMode ?? 'stopped';
  }

  /** Whether the run is on its way. */
  get loading(): boolean {
    return this._loading;
  }

  /** The last failure to load the run, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * A metric's min and max, or undefined before they are asked for.
   */
  summary(key: string): RunDetailModel.ISummary | undefined {
    return this._summaries.get(key);
  }

  /**
   * Load the run again; a running run's metric summaries are asked for again too.
   */
  async refresh(): Promise<void> {
    await this._load().catch(() => undefined);
  }

  /**
   * Load the min and max of `keys` (default: every metric of the run) that are
   * not known yet, a few requests at a time.
   */
  async loadSummaries(keys?: readonly string[]): Promise<void> {
    const wanted = (keys ?? Object.keys(this._run?.metrics ?? {})).filter(
      key => !this._summaries.has(key)
    );
    // Only an ended run's extremes are final enough to cache.
    const running = !RunDetailModel.ENDED.has(this._run?.status ?? '');
    const todo: string[] = [];
    for (const key of wanted) {
      const cached = running
        ? undefined
        : this._cache.get(this.workspace, this.runId, key);
      this._summaries.set(key, cached ?? { state: 'loading' });
      if (!cached) {
        todo.push(key);
      }
    }
    if (wanted.length === 0) {
      return;
    }
    this._stateChanged.emit();
    const worker = async () => {
      for (let key = todo.shift(); key !== undefined; key = todo.shift()) {
        await this._loadSummary(key, !running);
      }
    };
    const workers = Math.min(RunDetailModel.SUMMARY_CONCURRENCY, todo.length);
    await Promise.all(Array.from({ length: workers }, worker));
  }

  /**
   * Release the model and its artifacts; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._watch?.dispose();
    this.artifacts.dispose();
    Signal.clearData(this);
  }

  /**
   * Load the run; the error is kept in `error` and rethrown (for backoff).
   */
  private async _load(): Promise<void> {
    const seq = ++this._seq;
    this._loading = true;
    this._stateChanged.emit();
    try {
      const run = await this._client.getRun(this.workspace, this.runId);
      if (seq === this._seq && !this._isDisposed) {
        this._setRun(run);
        this._error = null;
      }
    } catch (error) {
      if (seq === this._seq && !this._isDisposed) {
        this._error = `Cannot load run ${this.runId}: ${failureMessage(error)}`;
      }
      throw error;
    } finally {
      if (seq === this._seq && !this._isDisposed) {
        this._loading = false;
        this._stateChanged.emit();
      }
    }
  }

  private _setRun(run: IRun): void {
    const wasRunning = this._run?.status === 'RUNNING';
    this._run = run;
    if (wasRunning || run.status === 'RUNNING') {
      this._summaries.clear();
    }
    this._follow();
  }

  /**
   * Watch the run while it runs; stop once it has ended.
   */
  private _follow(): void {
    const running = this._run?.status === 'RUNNING';
    if (running && !this._watch && this._live && !this._isDisposed) {
      const watch = new RunWatch({
        live: this._live,
        workspace: this.workspace,
        runId: this.runId,
        isRunning: () => this._run?.status === 'RUNNING',
        refresh: () => this._load(),
        pollInterval: this._pollInterval
      });
      watch.acknowledged.connect((_, ack) => {
        if (ack.reconnected) {
          void this.refresh(); // pushes were lost while disconnected
        }
      });
      watch.runPushed.connect((_, run) => {
        this._setRun(run);
        this._stateChanged.emit();
      });
      watch.pointsPushed.connect(this._onPoints, this);
      watch.modeChanged.connect(() => this._stateChanged.emit());
      this._watch = watch;
    } else if (!running && this._watch) {
      this._watch.dispose();
      this._watch = null;
    }
  }

  /**
   * Pushed points: the newest of each key is its last value, and the known
   * min and max widen to take them in.
   */
  private _onPoints(_: unknown, message: ILiveMetricsPush): void {
    const run = this._run;
    if (!run) {
      return;
    }
    const metrics = { ...run.metrics };
    for (const [key, points] of Object.entries(message.points)) {
      const newest = newestPoint(points);
      if (newest) {
        metrics[key] = newest[2] ?? 'NaN';
      }
      const summary = this._summaries.get(key);
      if (summary?.state === 'loaded') {
        this._summaries.set(key, widenSummary(summary, points));
      }
    }
    this._run = { ...run, metrics };
    this._stateChanged.emit();
  }

  private async _loadSummary(key: string, cache: boolean): Promise<void> {
    let summary: RunDetailModel.ISummary;
    try {
      // The route's min and max are global whatever the sampling: 4 points suffice.
      const history = await this._client.getMetricHistory(
        this.workspace,
        this.runId,
        key,
        { max_points: 4 }
      );
      summary = { state: 'loaded', min: history.min, max: history.max };
      if (cache) {
        this._cache.set(this.workspace, this.runId, key, summary);
      }
    } catch (error) {
      summary = { state: 'error', error: failureMessage(error) };
    }
    if (!this._isDisposed && this._summaries.get(key)?.state === 'loading') {
      this._summaries.set(key, summary);
      this._stateChanged.emit();
    }
  }

  private _client: IAmlClient;
  private _live: ILiveClient | null;
  private _pollInterval: PollInterval | undefined;
  private _watch: RunWatch | null = null;
  private _cache: MetricSummaryCache;
  private _run: IRun | null;
  private _summaries = new Map<string, RunDetailModel.ISummary>();
  private _loading = false;
  private _error: string | null = null;
  private _seq = 0;
  private _isDisposed = false;
  private _stateChanged = new Signal<this, void>(this);
}

/**
 * The RunDetailModel statics.
 */
export namespace RunDetailModel {
  /** The statuses of runs that log no more. */
  export const ENDED = new Set(['FINISHED', 'FAILED', 'KILLED']);

  /** How many metric summaries load at the same time. */
  export const SUMMARY_CONCURRENCY = 4;

  /**
   * A metric's global min and max.
   */
  export type ISummary = IMetricSummary;

  /**
   * The options to create a model.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The workspace of the run. */
    workspace: string;
    /** The run's id. */
    runId: string;
    /** The run as already known (e.g. a row of the runs table). */
    run?: IRun;
    /** A cache shared between detail views (default: one of its own). */
    summaryCache?: MetricSummaryCache;
    /** Make an object URL for an image preview (default `URL.createObjectURL`). */
    createObjectUrl?: (blob: Blob) => string;
    /** Release an object URL (default `URL.revokeObjectURL`). */
    revokeObjectUrl?: (url: string) => void;
    /** The live channel, to follow a running run (else it is loaded on demand only). */
    live?: ILiveClient;
    /** How often a running run is polled while the live socket is down (the setting). */
    pollInterval?: PollInterval;
  }
}

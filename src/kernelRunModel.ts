import { failureMessage } from './request';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { MetricSeries } from './chart/series';
import { ILiveClient, ILiveMetricsPush, LiveSubscription } from './liveClient';
import { IAmlClient, ILiveRunMessage, IRun, MetricPoint } from './tokens';

/**
 * The tag the passthrough puts on every run a kernel creates.
 */
export const KERNEL_ID_TAG = 'jupyterlab_aml.kernel_id';

/**
 * The newest run of the kernel of the notebook in focus, and its metrics as
 * they are logged: REST history merged with points pushed on `api/live`.
 *
 * A new run the kernel creates is picked up from the workspace's `run`
 * messages, so nothing is polled.
 */
export class KernelRunModel implements IDisposable {
  /**
   * Create a model following the tracker's current notebook.
   */
  constructor(options: KernelRunModel.IOptions) {
    this._client = options.client;
    this._live = options.live;
    this._tracker = options.tracker;
    this._maxPoints = options.maxPoints ?? 2000;
    this._maxHeld = Math.max(
      options.maxHeldPoints ?? 10000,
      2 * this._maxPoints
    );
    this._live.metricsReceived.connect(this._onMetrics, this);
    this._live.runReceived.connect(this._onRun, this);
    this._live.connectionChanged.connect(this._onConnection, this);
    this._tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._onCurrentChanged();
  }

  /** Emitted when the run, its status, or any series changes. */
  get changed(): ISignal<this, KernelRunModel.IChange> {
    return this._changed;
  }

  /** What the model shows: see `KernelRunModel.Status`. */
  get status(): KernelRunModel.Status {
    return this._status;
  }

  /** Why `status` is 'error', or null. */
  get error(): string | null {
    return this._error;
  }

  /** The id of the followed kernel, or null. */
  get kernelId(): string | null {
    return this._kernelId;
  }

  /** The workspace the kernel logs to, once known. */
  get workspace(): string | null {
    return this._workspace;
  }

  /** The kernel's newest run, or null. */
  get run(): IRun | null {
    return this._run;
  }

  /** Whether live updates are flowing (the socket is open). */
  get isConnected(): boolean {
    return this._live.status === 'open';
  }

  /** The run's metric keys, in the order they were first logged. */
  get keys(): readonly string[] {
    const first = (key: string) => this._series.get(key)!.firstTimestamp;
    // A stable sort: keys with no points yet keep the order they came in.
    return [...this._series.keys()].sort((a, b) => first(a) - first(b) || 0);
  }

  /** Whether the model is disposed. */
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
   * Look up the kernel's runs again and reload every series.
   */
  async refresh(): Promise<void> {
    if (this._kernelId) {
      await this._loadKernelRuns(this._generation);
      await this._reloadRun();
    }
  }

  /**
   * Stop following; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._generation++;
    this._watch(null);
    this._tracker.currentChanged.disconnect(this._onCurrentChanged, this);
    this._live.metricsReceived.disconnect(this._onMetrics, this);
    this._live.runReceived.disconnect(this._onRun, this);
    this._live.connectionChanged.disconnect(this._onConnection, this);
    this._runSubscription?.dispose();
    this._workspaceSubscription?.dispose();
    Signal.clearData(this);
  }

  private _onCurrentChanged(): void {
    const notebook = this._tracker.currentWidget;
    this._watch(notebook);
    this._follow(Private.kernelId(notebook));
  }

  private _watch(notebook: KernelRunModel.INotebookLike | null): void {
    const old = this._notebook?.sessionContext;
    old?.kernelChanged.disconnect(this._onKernelChanged, this);
    old?.statusChanged.disconnect(this._onKernelStatus, this);
    this._notebook = notebook;
    notebook?.sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    notebook?.sessionContext.statusChanged.connect(this._onKernelStatus, this);
  }

  private _onKernelChanged(): void {
    this._follow(Private.kernelId(this._notebook));
  }

  private _onKernelStatus(_: unknown, status: string): void {
    // A run the workspace subscription could not see (e.g. `%aml_track
    // --workspace` moved the kernel): look again when a cell has finished.
    if (status === 'idle' && this._status === 'no-run' && !this._looking) {
      void this._loadKernelRuns(this._generation);
    }
  }

  private _follow(kernelId: string | null): void {
    if (kernelId === this._kernelId && kernelId) {
      return;
    }
    const idle = this._notebook ? 'no-kernel' : 'no-notebook';
    if (kernelId === this._kernelId) {
      if (this._status !== idle) {
        this._setStatus(idle);
      }
      return;
    }
    this._kernelId = kernelId;
    const generation = ++this._generation;
    this._setRun(null);
    this._error = null;
    if (!kernelId) {
      this._setWorkspace(null);
      this._setStatus(idle);
      return;
    }
    this._setStatus('loading');
    void this._loadKernelRuns(generation);
  }

  private async _loadKernelRuns(generation: number): Promise<void> {
    const kernelId = this._kernelId;
    if (!kernelId) {
      return;
    }
    this._looking = true;
    try {
      const reply = await this._client.kernelRuns(kernelId);
      if (generation !== this._generation) {
        return;
      }
      this._setWorkspace(reply.workspace);
      const newest = reply.runs[0];
      if (newest && Private.isNewer(newest, this._run)) {
        this._setRun(newest);
      } else if (!this._run) {
        this._setStatus('no-run');
      }
    } catch (error) {
      if (generation === this._generation && !this._run) {
        this._error = `Cannot get the runs of this kernel: ${failureMessage(error)}`;
        this._setStatus('error');
      }
    } finally {
      this._looking = false;
    }
  }

  private _setWorkspace(workspace: string | null): void {
    if (workspace === this._workspace) {
      return;
    }
    this._workspaceSubscription?.dispose();
    this._workspaceSubscription = null;
    this._workspace = workspace;
    if (workspace) {
      const subscription = this._live.subscribe(workspace);
      // Runs created before this moment are not pushed: look them up once the
      // server listens (and again after a reconnect).
      subscription.acknowledged.connect(() => {
        void this._loadKernelRuns(this._generation);
      });
      this._workspaceSubscription = subscription;
    }
  }

  private _setRun(run: IRun | null): void {
    this._runSubscription?.dispose();
    this._runSubscription = null;
    this._series.clear();
    this._run = run;
    if (!run || !this._workspace) {
      this._changed.emit({ run: true, keys: [] });
      return;
    }
    for (const key of Object.keys(run.metrics)) {
      this._series.set(key, new MetricSeries());
    }
    const subscription = this._live.subscribe(this._workspace, run.run_id);
    subscription.acknowledged.connect(this._reloadRun, this);
    subscription.failed.connect((_, message) => {
      console.warn(`jupyterlab-aml: live updates of ${run.run_id}:`, message);
    });
    this._runSubscription = subscription;
    this._status = 'live';
    this._changed.emit({ run: true, keys: this.keys });
  }

  /**
   * Once the server sends every new point, read the run and the history of
   * each metric (the first time, and after a reconnect).
   */
  private async _reloadRun(): Promise<void> {
    const run = this._run;
    const workspace = this._workspace;
    if (!run || !workspace) {
      return;
    }
    try {
      const fresh = await this._client.getRun(workspace, run.run_id);
      if (this._run?.run_id !== run.run_id) {
        return;
      }
      this._run = fresh;
      for (const key of Object.keys(fresh.metrics)) {
        if (!this._series.has(key)) {
          this._series.set(key, new MetricSeries());
        }
      }
      this._changed.emit({ run: true, keys: [] });
    } catch (error) {
      console.warn('jupyterlab-aml: cannot reload run', run.run_id, error);
    }
    await Promise.all([...this._series.keys()].map(k => this._loadHistory(k)));
  }

  private async _loadHistory(key: string): Promise<void> {
    const run = this._run;
    const series = this._series.get(key);
    if (!run || !series || !this._workspace) {
      return;
    }
    const ticket = series.beginLoad();
    try {
      const history = await this._client.getMetricHistory(
        this._workspace,
        run.run_id,
        key,
        { max_points: this._maxPoints }
      );
      if (
        this._series.get(key) === series &&
        series.applyHistory(ticket, history.points, history.sampled)
      ) {
        this._changed.emit({ run: false, keys: [key] });
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

  private _onMetrics(_: unknown, message: ILiveMetricsPush): void {
    const run = this._run;
    if (
      !run ||
      message.run_id !== run.run_id ||
      message.workspace !== this._workspace
    ) {
      return;
    }
    const keys: string[] = [];
    for (const [key, rows] of Object.entries(message.points)) {
      let series = this._series.get(key);
      if (!series) {
        series = new MetricSeries();
        this._series.set(key, series);
      }
      series.push(rows);
      keys.push(key);
      const thinned = message.sampled?.includes(key) ?? false;
      // The server thinned what it held back, or we hold too many: reload.
      const tooMany = series.points.length > this._maxHeld;
      if (thinned || (tooMany && !series.isLoading)) {
        void this._loadHistory(key);
      }
    }
    if (keys.length) {
      this._changed.emit({ run: false, keys });
    }
  }

  private _onRun(_: unknown, message: ILiveRunMessage): void {
    if (message.workspace !== this._workspace || !this._kernelId) {
      return;
    }
    const run = message.run;
    if (this._run && run.run_id === this._run.run_id) {
      this._run = { ...run };
      this._changed.emit({ run: true, keys: [] });
    } else if (
      run.tags?.[KERNEL_ID_TAG] === this._kernelId &&
      Private.isNewer(run, this._run)
    ) {
      this._setRun(run);
    }
  }

  private _onConnection(): void {
    this._changed.emit({ run: false, keys: [] });
  }

  private _setStatus(status: KernelRunModel.Status): void {
    this._status = status;
    this._changed.emit({ run: true, keys: [] });
  }

  private _client: IAmlClient;
  private _live: ILiveClient;
  private _tracker: KernelRunModel.INotebookTrackerLike;
  private _maxPoints: number;
  private _maxHeld: number;
  private _notebook: KernelRunModel.INotebookLike | null = null;
  private _kernelId: string | null = null;
  private _workspace: string | null = null;
  private _run: IRun | null = null;
  private _status: KernelRunModel.Status = 'no-notebook';
  private _error: string | null = null;
  private _generation = 0;
  private _looking = false;
  private _series = new Map<string, MetricSeries>();
  private _runSubscription: LiveSubscription | null = null;
  private _workspaceSubscription: LiveSubscription | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, KernelRunModel.IChange>(this);
}

/**
 * The KernelRunModel statics.
 */
export namespace KernelRunModel {
  /**
   * What the model shows: no notebook in focus; a notebook without a kernel;
   * looking the kernel's runs up; a kernel that has not logged a run; a run
   * followed live; or an error.
   */
  export type Status =
    'no-notebook' | 'no-kernel' | 'loading' | 'no-run' | 'live' | 'error';

  /**
   * What changed.
   */
  export interface IChange {
    /** Whether the run, its status or the model's status changed. */
    run: boolean;
    /** The keys whose points changed. */
    keys: readonly string[];
  }

  /**
   * The part of a notebook's `ISessionContext` the model reads.
   */
  export interface ISessionContextLike {
    readonly session: {
      readonly kernel: { readonly id: string } | null;
    } | null;
    readonly kernelChanged: ISignal<any, any>;
    readonly statusChanged: ISignal<any, string>;
  }

  /**
   * The part of a `NotebookPanel` the model reads.
   */
  export interface INotebookLike {
    readonly sessionContext: ISessionContextLike;
  }

  /**
   * The part of an `INotebookTracker` the model reads.
   */
  export interface INotebookTrackerLike {
    readonly currentWidget: INotebookLike | null;
    readonly currentChanged: ISignal<any, any>;
  }

  /**
   * The options to create a model.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The page's live channel. */
    live: ILiveClient;
    /** The notebook tracker (`INotebookTracker`). */
    tracker: INotebookTrackerLike;
    /** How many points to load per metric history (default 2000). */
    maxPoints?: number;
    /** Past this many points held, a series is reloaded downsampled (default 10000). */
    maxHeldPoints?: number;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * The kernel id of a notebook, or null.
   */
  export function kernelId(
    notebook: KernelRunModel.INotebookLike | null
  ): string | null {
    return notebook?.sessionContext.session?.kernel?.id ?? null;
  }

  /**
   * Whether `run` started after `than` (or there is no `than`).
   */
  export function isNewer(run: IRun, than: IRun | null): boolean {
    return !than || (run.start_time ?? 0) >= (than.start_time ?? 0);
  }
}

import { failureMessage } from './request';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { FocusedKernel } from './focusedKernel';
import { ILiveClient, ILiveMetricsPush, LiveSubscription } from './liveChannel';
import { RunMetrics } from './runMetrics';
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
    this._focus = new FocusedKernel(options.tracker);
    this._maxPoints = options.maxPoints ?? 2000;
    this._maxHeld = Math.max(
      options.maxHeldPoints ?? 10000,
      2 * this._maxPoints
    );
    this._live.metricsReceived.connect(this._onMetrics, this);
    this._live.runReceived.connect(this._onRun, this);
    this._live.connectionChanged.connect(this._onConnection, this);
    this._focus.changed.connect(this._onFocusChanged, this);
    this._focus.idle.connect(this._onKernelIdle, this);
    this._onFocusChanged();
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
    return this._metrics?.keys ?? [];
  }

  /** How many points a metric history load asks for. */
  get maxPoints(): number {
    return this._maxPoints;
  }
  set maxPoints(value: number) {
    if (value === this._maxPoints || !(value > 0)) {
      return;
    }
    this._maxPoints = Math.round(value);
    this._maxHeld = Math.max(this._maxHeld, 2 * this._maxPoints);
    if (this._metrics) {
      // Draw the run again at the new budget.
      this._metrics.maxPoints = this._maxPoints;
      void this._metrics.loadAll();
    }
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The points of a metric, ordered by step then timestamp (empty if unknown).
   */
  series(key: string): readonly MetricPoint[] {
    return this._metrics?.series(key) ?? [];
  }

  /**
   * Whether a metric's points are a downsample of its history.
   */
  isSampled(key: string): boolean {
    return this._metrics?.isSampled(key) ?? false;
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
    this._focus.dispose();
    this._live.metricsReceived.disconnect(this._onMetrics, this);
    this._live.runReceived.disconnect(this._onRun, this);
    this._live.connectionChanged.disconnect(this._onConnection, this);
    this._runSubscription?.dispose();
    this._workspaceSubscription?.dispose();
    this._metrics?.dispose();
    Signal.clearData(this);
  }

  private _onFocusChanged(): void {
    this._follow(this._focus.kernelId);
  }

  private _onKernelIdle(): void {
    // A run the workspace subscription could not see (e.g. `%aml_track
    // --workspace` moved the kernel): look again when a cell has finished.
    if (this._status === 'no-run' && !this._looking) {
      void this._loadKernelRuns(this._generation);
    }
  }

  private _follow(kernelId: string | null): void {
    if (kernelId === this._kernelId && kernelId) {
      return;
    }
    const idle = this._focus.hasNotebook ? 'no-kernel' : 'no-notebook';
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
    this._metrics?.dispose();
    this._metrics = null;
    this._run = run;
    if (!run || !this._workspace) {
      this._changed.emit({ run: true, keys: [] });
      return;
    }
    const metrics = new RunMetrics({
      client: this._client,
      workspace: this._workspace,
      runId: run.run_id,
      maxPoints: this._maxPoints,
      maxHeldPoints: this._maxHeld,
      keys: Object.keys(run.metrics)
    });
    metrics.changed.connect((_, keys) =>
      this._changed.emit({ run: false, keys })
    );
    this._metrics = metrics;
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
      this._metrics?.addKeys(Object.keys(fresh.metrics));
      this._changed.emit({ run: true, keys: [] });
    } catch (error) {
      console.warn('jupyterlab-aml: cannot reload run', run.run_id, error);
    }
    // The run may have been set again meanwhile: load the current series.
    await this._metrics?.loadAll();
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
    this._metrics?.push(message.points, message.sampled);
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
  private _focus: FocusedKernel;
  private _maxPoints: number;
  private _maxHeld: number;
  private _kernelId: string | null = null;
  private _workspace: string | null = null;
  private _run: IRun | null = null;
  private _status: KernelRunModel.Status = 'no-notebook';
  private _error: string | null = null;
  private _generation = 0;
  private _looking = false;
  private _metrics: RunMetrics | null = null;
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
   * The options to create a model.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The page's live channel. */
    live: ILiveClient;
    /** The notebook tracker (`INotebookTracker`). */
    tracker: FocusedKernel.INotebookTrackerLike;
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
   * Whether `run` started after `than` (or there is no `than`).
   */
  export function isNewer(run: IRun, than: IRun | null): boolean {
    return !than || (run.start_time ?? 0) >= (than.start_time ?? 0);
  }
}

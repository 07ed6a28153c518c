import { failureMessage } from './request';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { FocusedKernel } from './focusedKernel';
import { FollowedRun } from './followedRun';
import { ILiveClient, LiveSubscription } from './liveChannel';
import { PollInterval } from './pollInterval';
import { FollowMode } from './runPollFallback';
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
 * messages, so nothing is polled while the live socket works.
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
    this._pollInterval = options.pollInterval;
    this._maxHeld = Math.max(
      options.maxHeldPoints ?? 10000,
      2 * this._maxPoints
    );
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
    return this._followed?.run ?? null;
  }

  /** How the run is kept up to date: pushed, or polled while the socket is down. */
  get followMode(): FollowMode {
    return this._followed?.followMode ?? 'stopped';
  }

  /** Whether live updates are flowing (the socket is open). */
  get isConnected(): boolean {
    return this._live.status === 'open';
  }

  /** The run's metric keys, in the order they were first logged. */
  get keys(): readonly string[] {
    return this._followed?.metrics.keys ?? [];
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
    const metrics = this._followed?.metrics;
    if (metrics) {
      // Draw the run again at the new budget.
      metrics.maxPoints = this._maxPoints;
      void metrics.loadAll();
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
    return this._followed?.metrics.series(key) ?? [];
  }

  /**
   * Whether a metric's points are a downsample of its history.
   */
  isSampled(key: string): boolean {
    return this._followed?.metrics.isSampled(key) ?? false;
  }

  /**
   * Look up the kernel's runs again and reload every series.
   */
  async refresh(): Promise<void> {
    if (this._kernelId) {
      await this._loadKernelRuns(this._generation);
      await this._followed?.reload();
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
    this._live.runReceived.disconnect(this._onRun, this);
    this._live.connectionChanged.disconnect(this._onConnection, this);
    this._followed?.dispose();
    this._workspaceSubscription?.dispose();
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
      const current = this.run;
      // The followed run keeps itself current; only a newer one replaces it.
      if (
        newest &&
        newest.run_id !== current?.run_id &&
        Private.isNewer(newest, current)
      ) {
        this._setRun(newest);
      } else if (!current) {
        this._setStatus('no-run');
      }
    } catch (error) {
      if (generation === this._generation && !this.run) {
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
    this._followed?.dispose();
    this._followed = null;
    if (!run || !this._workspace) {
      this._changed.emit({ run: true, keys: [] });
      return;
    }
    const followed = new FollowedRun({
      client: this._client,
      live: this._live,
      workspace: this._workspace,
      run,
      maxPoints: this._maxPoints,
      maxHeldPoints: this._maxHeld,
      pollInterval: this._pollInterval
    });
    followed.changed.connect((_, change) => this._changed.emit(change));
    this._followed = followed;
    this._status = 'live';
    this._changed.emit({ run: true, keys: this.keys });
  }

  private _onRun(_: unknown, message: ILiveRunMessage): void {
    if (message.workspace !== this._workspace || !this._kernelId) {
      return;
    }
    // The followed run handles its own messages; this picks up new runs.
    const run = message.run;
    const current = this.run;
    if (
      run.run_id !== current?.run_id &&
      run.tags?.[KERNEL_ID_TAG] === this._kernelId &&
      Private.isNewer(run, current)
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
  private _pollInterval: PollInterval | undefined;
  private _followed: FollowedRun | null = null;
  private _maxHeld: number;
  private _kernelId: string | null = null;
  private _workspace: string | null = null;
  private _status: KernelRunModel.Status = 'no-notebook';
  private _error: string | null = null;
  private _generation = 0;
  private _looking = false;
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
  export type IChange = FollowedRun.IChange;

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
    /** How often a running run is polled while the live socket is down (the setting). */
    pollInterval?: PollInterval;
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

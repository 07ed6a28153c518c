import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ILiveClient, ILiveMetricsPush, LiveSubscription } from './liveChannel';
import { PollInterval } from './pollInterval';
import { FollowMode, RunPollFallback } from './runPollFallback';
import { ILiveRunMessage, IRun } from './tokens';

/**
 * One run's updates, whatever their way: pushed on `api/live` (for kernel
 * runs and, polled by the server, for runs logged elsewhere), or fetched over
 * REST by the holder's `refresh` while the live socket is down.
 */
export class RunWatch implements IDisposable {
  /**
   * Subscribe to the run; the holder connects to the signals.
   */
  constructor(options: RunWatch.IOptions) {
    this._live = options.live;
    this.workspace = options.workspace;
    this.runId = options.runId;
    this._subscription = this._live.subscribe(this.workspace, this.runId);
    this._subscription.acknowledged.connect(
      (_, ack) => this._acknowledged.emit(ack),
      this
    );
    this._subscription.failed.connect((_, message) => {
      console.warn(`jupyterlab-aml: live updates of ${this.runId}:`, message);
    });
    this._live.metricsReceived.connect(this._onMetrics, this);
    this._live.runReceived.connect(this._onRun, this);
    this._fallback = new RunPollFallback({
      live: this._live,
      subscription: this._subscription,
      isRunning: options.isRunning,
      refresh: options.refresh,
      interval: options.pollInterval
    });
    this._fallback.modeChanged.connect(
      (_, mode) => this._modeChanged.emit(mode),
      this
    );
  }

  /** The workspace of the run. */
  readonly workspace: string;

  /** The run's id. */
  readonly runId: string;

  /**
   * Emitted on each acknowledgement of the subscription: points are pushed
   * from then on, so (re)load what was logged before.
   */
  get acknowledged(): ISignal<this, LiveSubscription.IAck> {
    return this._acknowledged;
  }

  /** Emitted with the run when it is pushed (created or status changed). */
  get runPushed(): ISignal<this, IRun> {
    return this._runPushed;
  }

  /** Emitted with the pushed points of the run. */
  get pointsPushed(): ISignal<this, ILiveMetricsPush> {
    return this._pointsPushed;
  }

  /** Emitted when the follow mode changes. */
  get modeChanged(): ISignal<this, FollowMode> {
    return this._modeChanged;
  }

  /** How the run is kept up to date now. */
  get followMode(): FollowMode {
    return this._fallback.mode;
  }

  /** Whether the watch is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Decide again whether to poll (after the run's status may have changed).
   */
  update(): void {
    this._fallback.update();
  }

  /**
   * Unsubscribe and stop polling; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._fallback.dispose();
    this._subscription.dispose();
    this._live.metricsReceived.disconnect(this._onMetrics, this);
    this._live.runReceived.disconnect(this._onRun, this);
    Signal.clearData(this);
  }

  private _onMetrics(_: unknown, message: ILiveMetricsPush): void {
    if (message.run_id === this.runId && message.workspace === this.workspace) {
      this._pointsPushed.emit(message);
    }
  }

  private _onRun(_: unknown, message: ILiveRunMessage): void {
    if (
      message.workspace === this.workspace &&
      message.run.run_id === this.runId
    ) {
      this._runPushed.emit({ ...message.run });
    }
  }

  private _live: ILiveClient;
  private _subscription: LiveSubscription;
  private _fallback: RunPollFallback;
  private _isDisposed = false;
  private _acknowledged = new Signal<this, LiveSubscription.IAck>(this);
  private _runPushed = new Signal<this, IRun>(this);
  private _pointsPushed = new Signal<this, ILiveMetricsPush>(this);
  private _modeChanged = new Signal<this, FollowMode>(this);
}

/**
 * The RunWatch statics.
 */
export namespace RunWatch {
  /**
   * The options to watch a run.
   */
  export interface IOptions {
    /** The page's live channel. */
    live: ILiveClient;
    /** The workspace of the run. */
    workspace: string;
    /** The run's id. */
    runId: string;
    /** Whether the run is still running (polling stops once it is not). */
    isRunning: () => boolean;
    /** Fetch the run (and its new points) over REST; a rejection backs off. */
    refresh: () => Promise<void>;
    /** How often to poll while the live socket is down (the setting). */
    pollInterval?: PollInterval;
  }
}

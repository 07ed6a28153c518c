import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ILiveClient, LiveSubscription } from './liveChannel';
import { PollInterval } from './pollInterval';
import { RunMetrics } from './runMetrics';
import { FollowMode } from './runPollFallback';
import { RunWatch } from './runWatch';
import { IAmlClient, IRun } from './tokens';

/**
 * One run followed as it is logged: its status from `run` messages, its
 * metrics (REST history merged with pushed points), and polled over REST
 * while the live socket is down.
 *
 * The histories of the metrics the run already names are asked for at once,
 * alongside the live subscription, not one round trip after its
 * acknowledgement: the first acknowledgement then reads the run again and
 * what each history may have missed (see `RunMetrics.catchUp`). Later
 * acknowledgements (a reconnect, which may have lost points) reload all.
 */
export class FollowedRun implements IDisposable {
  /**
   * Subscribe to `options.run` and start following it.
   */
  constructor(options: FollowedRun.IOptions) {
    this._client = options.client;
    this._run = options.run;
    this.workspace = options.workspace;
    this.metrics = new RunMetrics({
      client: options.client,
      workspace: options.workspace,
      runId: options.run.run_id,
      maxPoints: options.maxPoints,
      maxHeldPoints: options.maxHeldPoints,
      keys: Object.keys(options.run.metrics)
    });
    this.metrics.changed.connect((_, keys) =>
      this._changed.emit({ run: false, keys })
    );
    this._watch = new RunWatch({
      live: options.live,
      workspace: options.workspace,
      runId: options.run.run_id,
      isRunning: () => this._run.status === 'RUNNING',
      refresh: () => this._poll(),
      pollInterval: options.pollInterval
    });
    this._watch.acknowledged.connect(
      (_, ack) => void this._onAcknowledged(ack)
    );
    this._watch.runPushed.connect((_, run) => this._setRun(run));
    this._watch.pointsPushed.connect((_, message) =>
      this.metrics.push(message.points, message.sampled)
    );
    this._watch.modeChanged.connect(() =>
      this._changed.emit({ run: true, keys: [] })
    );
    const keys = this.metrics.keys;
    this._early = { keys, loaded: this.metrics.loadAll() };
  }

  /** The workspace of the run. */
  readonly workspace: string;

  /** The run's metric series. */
  readonly metrics: RunMetrics;

  /** Emitted when the run or its status changes (`run`), or points (`keys`). */
  get changed(): ISignal<this, FollowedRun.IChange> {
    return this._changed;
  }

  /** The run as last seen. */
  get run(): IRun {
    return this._run;
  }

  /** How the run is kept up to date: pushed, or polled while the socket is down. */
  get followMode(): FollowMode {
    return this._watch.followMode;
  }

  /** Whether the run is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Read the run and the history of each metric again.
   */
  async reload(): Promise<void> {
    await this._readRun();
    await this.metrics.loadAll();
  }

  /**
   * Stop following; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._watch.dispose();
    this.metrics.dispose();
    Signal.clearData(this);
  }

  /**
   * Points are sure to be pushed from an acknowledgement on: complete what
   * was loaded before the first one, or reload all after a reconnect.
   */
  private async _onAcknowledged(ack: LiveSubscription.IAck): Promise<void> {
    const early = this._early;
    this._early = null;
    if (!early || ack.reconnected) {
      return this.reload();
    }
    const loaded = new Set(early.keys);
    await Promise.all([
      early.loaded.then(() => this.metrics.catchUp(early.keys)),
      // A status change or a new key from before the server listened.
      this._readRun().then(() =>
        Promise.all(
          this.metrics.keys
            .filter(key => !loaded.has(key))
            .map(key => this.metrics.loadHistory(key))
        )
      )
    ]);
  }

  /**
   * Read the run again (a failure is only logged).
   */
  private async _readRun(): Promise<void> {
    try {
      this._setRun(await this._client.getRun(this.workspace, this._run.run_id));
    } catch (error) {
      console.warn(
        'jupyterlab-aml: cannot reload run',
        this._run.run_id,
        error
      );
    }
  }

  /**
   * One tick of the polling fallback: the run, then the new points.
   */
  private async _poll(): Promise<void> {
    this._setRun(await this._client.getRun(this.workspace, this._run.run_id));
    await this.metrics.fetchNew();
  }

  private _setRun(run: IRun): void {
    if (this._isDisposed) {
      return;
    }
    this._run = run;
    this.metrics.addKeys(Object.keys(run.metrics));
    this._watch.update(); // stops polling once the run has ended
    this._changed.emit({ run: true, keys: [] });
  }

  private _client: IAmlClient;
  private _run: IRun;
  private _watch: RunWatch;
  /** The histories loaded before the first acknowledgement, until it comes. */
  private _early: {
    keys: readonly string[];
    loaded: Promise<void>;
  } | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, FollowedRun.IChange>(this);
}

/**
 * The FollowedRun statics.
 */
export namespace FollowedRun {
  /**
   * What changed.
   */
  export interface IChange {
    /** Whether the run, its status or how it is followed changed. */
    run: boolean;
    /** The keys whose points changed. */
    keys: readonly string[];
  }

  /**
   * The options to follow a run.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The page's live channel. */
    live: ILiveClient;
    /** The workspace of the run. */
    workspace: string;
    /** The run as known so far. */
    run: IRun;
    /** How many points a history load asks for. */
    maxPoints: number;
    /** Past this many points held, a series is loaded again, downsampled. */
    maxHeldPoints: number;
    /** How often the run is polled while the live socket is down (the setting). */
    pollInterval?: PollInterval;
  }
}

import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { ILiveClient, LiveSubscription } from './liveChannel';
import { PollInterval } from './pollInterval';

/**
 * How a shown run is kept up to date:
 *
 * - `stopped`: the run has ended (or is not known); nothing to follow.
 * - `live`: the server pushes its points and status on `api/live`.
 * - `waiting`: the live subscription is on its way; give it a moment.
 * - `polling`: the live channel is unavailable (closed, refused, or silent
 *   too long): the run and its metrics are fetched over REST instead.
 */
export type FollowMode = 'stopped' | 'live' | 'waiting' | 'polling';

/**
 * Where the live channel stands for one run.
 */
export type LiveAvailability = 'acknowledged' | 'pending' | 'unavailable';

/**
 * The follow mode of a run: the state machine of the polling fallback.
 */
export function followMode(
  running: boolean,
  live: LiveAvailability
): FollowMode {
  if (!running) {
    return 'stopped';
  }
  switch (live) {
    case 'acknowledged':
      return 'live';
    case 'pending':
      return 'waiting';
    default:
      return 'polling';
  }
}

/**
 * Polls a RUNNING run over REST while its live subscription does not deliver
 * (lumino `Poll`: backoff on failures, stands by while the page is hidden),
 * and stops as soon as pushes flow again or the run ends.
 *
 * The holder owns the subscription and the refresh; it calls `update()` when
 * the run's status may have changed.
 */
export class RunPollFallback implements IDisposable {
  /**
   * Create the fallback of one run; it decides its mode at once.
   */
  constructor(options: RunPollFallback.IOptions) {
    this._live = options.live;
    this._subscription = options.subscription;
    this._isRunning = options.isRunning;
    this._grace = options.grace ?? RunPollFallback.GRACE;
    this._interval =
      options.interval ?? new PollInterval(RunPollFallback.INTERVAL);
    this._maxInterval = options.maxInterval ?? 5 * 60 * 1000;
    this._poll = new Poll({
      auto: false,
      factory: () => options.refresh(),
      frequency: this._frequency(),
      name: 'jupyterlab-aml:RunPollFallback',
      standby: options.standby ?? 'when-hidden'
    });
    this._interval.changed.connect(this._onIntervalChanged, this);
    this._live?.connectionChanged.connect(this.update, this);
    this._subscription?.acknowledged.connect(this._onAcknowledged, this);
    this._subscription?.failed.connect(this._onFailed, this);
    this._pendingSince = Date.now();
    this.update();
  }

  /** Emitted with the new mode when it changes. */
  get modeChanged(): ISignal<this, FollowMode> {
    return this._modeChanged;
  }

  /** How the run is followed now. */
  get mode(): FollowMode {
    return this._mode;
  }

  /** Whether the fallback is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Decide the mode again (after a status change of the run, or of the socket).
   */
  update(): void {
    if (this._isDisposed) {
      return;
    }
    const mode = followMode(this._isRunning(), this._availability());
    clearTimeout(this._timer);
    if (mode === 'waiting') {
      // Not acknowledged within the grace period: the channel is not working.
      const left = this._pendingSince + this._grace - Date.now();
      this._timer = setTimeout(() => this.update(), Math.max(0, left) + 1);
    }
    if (mode === this._mode) {
      return;
    }
    this._mode = mode;
    if (mode === 'polling') {
      void this._poll.start();
    } else {
      void this._poll.stop();
    }
    this._modeChanged.emit(mode);
  }

  /**
   * Stop polling and listening; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    clearTimeout(this._timer);
    this._poll.dispose();
    this._interval.changed.disconnect(this._onIntervalChanged, this);
    this._live?.connectionChanged.disconnect(this.update, this);
    this._subscription?.acknowledged.disconnect(this._onAcknowledged, this);
    this._subscription?.failed.disconnect(this._onFailed, this);
    Signal.clearData(this);
  }

  private _frequency(): IPoll.Frequency {
    const interval = this._interval.value;
    return {
      interval,
      backoff: true,
      max: Math.max(interval, this._maxInterval)
    };
  }

  /**
   * The setting changed: poll at the new pace from now on, not after the
   * wait already scheduled at the old one.
   */
  private _onIntervalChanged(): void {
    this._poll.frequency = this._frequency();
    if (this._mode === 'polling') {
      void this._poll.schedule({
        interval: this._poll.frequency.interval,
        phase: 'refreshed'
      });
    }
  }

  private _availability(): LiveAvailability {
    const subscription = this._subscription;
    if (!this._live || !subscription || subscription.isDisposed) {
      return 'unavailable';
    }
    if (subscription.isAcknowledged) {
      return 'acknowledged';
    }
    if (this._failed || this._live.status === 'closed') {
      return 'unavailable';
    }
    // Opening, or subscribed and not answered yet: keep polling until the
    // answer comes; otherwise wait a grace period before polling.
    if (this._mode === 'polling') {
      return 'unavailable';
    }
    if (this._mode === 'live') {
      this._pendingSince = Date.now();
    }
    return Date.now() - this._pendingSince < this._grace
      ? 'pending'
      : 'unavailable';
  }

  private _onAcknowledged(): void {
    this._failed = false;
    this.update();
  }

  private _onFailed(): void {
    this._failed = true;
    this.update();
  }

  private _live: ILiveClient | null;
  private _subscription: LiveSubscription | null;
  private _isRunning: () => boolean;
  private _grace: number;
  private _interval: PollInterval;
  private _maxInterval: number;
  private _poll: Poll;
  private _mode: FollowMode = 'stopped';
  private _pendingSince: number;
  private _failed = false;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _isDisposed = false;
  private _modeChanged = new Signal<this, FollowMode>(this);
}

/**
 * The RunPollFallback statics.
 */
export namespace RunPollFallback {
  /** The polling interval in ms while the live channel is down, when none is given. */
  export const INTERVAL = 5 * 1000;

  /** How long a subscription may wait for its acknowledgement, in ms. */
  export const GRACE = 5 * 1000;

  /**
   * The options to create a fallback.
   */
  export interface IOptions {
    /** The live channel (its connection state), or null to always poll. */
    live: ILiveClient | null;
    /** The run's live subscription, or null to always poll. */
    subscription: LiveSubscription | null;
    /** Whether the run is still running. */
    isRunning: () => boolean;
    /** Fetch the run and its new points over REST; a rejection backs off. */
    refresh: () => Promise<void>;
    /** The polling interval (default 5 s); a change applies at once. */
    interval?: PollInterval;
    /** The longest wait in ms that backoff grows to (default 5 min). */
    maxInterval?: number;
    /** How long a subscription may wait for its acknowledgement (default 5 s). */
    grace?: number;
    /** When the poll stands by (default 'when-hidden'). */
    standby?: Poll.Standby | (() => boolean | Poll.Standby);
  }
}

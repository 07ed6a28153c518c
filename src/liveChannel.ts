/**
 * The live channel (`{base_url}aml/api/live`) as models see it: its messages,
 * the client interface, and the subscriptions holders keep.
 */

import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ILiveMetricsMessage, ILiveRunMessage } from './tokens';

/**
 * Whether the live socket is open, opening or closed.
 */
export type LiveStatus = 'connecting' | 'open' | 'closed';

/**
 * New points of a subscribed run; `sampled` lists the keys whose backlog the
 * server thinned (reload their history to see every point).
 */
export interface ILiveMetricsPush extends ILiveMetricsMessage {
  sampled?: string[];
}

/**
 * An error the server reports on `api/live`: a bad message, or a subscription
 * that failed (then `workspace` and `run_id` name it).
 */
export interface ILiveErrorMessage {
  type: 'error';
  message: string;
  workspace?: string;
  run_id?: string | null;
}

/**
 * The live channel as models use it: subscriptions and pushed messages.
 */
export interface ILiveClient extends IDisposable {
  /** Pushed points of subscribed runs. */
  readonly metricsReceived: ISignal<ILiveClient, ILiveMetricsPush>;
  /** Runs created or changed in subscribed workspaces, or subscribed runs. */
  readonly runReceived: ISignal<ILiveClient, ILiveRunMessage>;
  /** Errors the server reported. */
  readonly errorReceived: ISignal<ILiveClient, ILiveErrorMessage>;
  /** Emitted when the socket opens or closes. */
  readonly connectionChanged: ISignal<ILiveClient, LiveStatus>;
  /** Whether the socket is open, opening or closed. */
  readonly status: LiveStatus;
  /**
   * Follow a run's points and status, or (`runId` null) every run's status in
   * a workspace. Dispose the subscription to stop.
   */
  subscribe(workspace: string, runId?: string | null): LiveSubscription;
}

/**
 * One holder's interest in a live target. Subscriptions to the same target
 * share one server subscription, which ends when the last one is disposed.
 */
export class LiveSubscription implements IDisposable {
  /**
   * Created by `LiveClient.subscribe` only.
   */
  constructor(
    readonly workspace: string,
    readonly runId: string | null,
    private _release: (subscription: LiveSubscription) => void
  ) {}

  /**
   * Emitted each time the server acknowledges the subscription: after the
   * first subscribe, and again after every reconnect. Load (or reload) the
   * history then: live points are sure to follow from that moment on, and any
   * sent while disconnected were lost.
   */
  get acknowledged(): ISignal<this, LiveSubscription.IAck> {
    return this._acknowledged;
  }

  /** Emitted with the server's message when it refuses the subscription. */
  get failed(): ISignal<this, string> {
    return this._failed;
  }

  /** Whether the server has acknowledged the subscription on the open socket. */
  get isAcknowledged(): boolean {
    return this._isAcknowledged;
  }

  /** Whether the subscription is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop following the target; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._isAcknowledged = false;
    this._release(this);
    Signal.clearData(this);
  }

  /** @internal The client reports the server's answer, or a lost socket. */
  _update(state: 'acknowledged' | 'lost' | 'failed', message = ''): void {
    if (this._isDisposed) {
      return;
    }
    this._isAcknowledged = state === 'acknowledged';
    if (state === 'acknowledged') {
      const reconnected = this._everAcknowledged;
      this._everAcknowledged = true;
      this._acknowledged.emit({ reconnected });
    } else if (state === 'failed') {
      this._failed.emit(message);
    }
  }

  private _isDisposed = false;
  private _isAcknowledged = false;
  private _everAcknowledged = false;
  private _acknowledged = new Signal<this, LiveSubscription.IAck>(this);
  private _failed = new Signal<this, string>(this);
}

/**
 * The LiveSubscription statics.
 */
export namespace LiveSubscription {
  /**
   * An acknowledgement.
   */
  export interface IAck {
    /** True when the subscription was acknowledged before: points may have been missed. */
    reconnected: boolean;
  }
}

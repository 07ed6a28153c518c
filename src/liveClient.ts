import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ILiveClient,
  ILiveErrorMessage,
  ILiveMetricsPush,
  LiveStatus,
  LiveSubscription
} from './liveChannel';
import { ILiveRunMessage } from './tokens';

/**
 * The page's one websocket to `{base_url}aml/api/live`.
 *
 * It connects on the first subscription, reconnects with backoff when the
 * socket closes (at once after close 1013, "fell behind"), and subscribes
 * again to every target, whose holders are then told to reload.
 */
export class LiveClient implements ILiveClient {
  /**
   * Create a client; it connects on the first subscription.
   */
  constructor(options: LiveClient.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
    this._WebSocket = options.WebSocket ?? this.serverSettings.WebSocket;
    this._initialDelay = options.initialDelay ?? 1000;
    this._maxDelay = Math.max(this._initialDelay, options.maxDelay ?? 30000);
  }

  /** The server settings the socket URL and auth come from. */
  readonly serverSettings: ServerConnection.ISettings;

  /** Pushed points of subscribed runs. */
  get metricsReceived(): ISignal<this, ILiveMetricsPush> {
    return this._metricsReceived;
  }

  /** Runs created or changed in subscribed workspaces, or subscribed runs. */
  get runReceived(): ISignal<this, ILiveRunMessage> {
    return this._runReceived;
  }

  /** Errors the server reported. */
  get errorReceived(): ISignal<this, ILiveErrorMessage> {
    return this._errorReceived;
  }

  /** Emitted when the socket opens or closes. */
  get connectionChanged(): ISignal<this, LiveClient.Status> {
    return this._connectionChanged;
  }

  /** Whether the socket is open, opening or closed. */
  get status(): LiveClient.Status {
    return this._status;
  }

  /** Why the socket last closed, e.g. the server's 1013 reason; empty when open. */
  get closeReason(): string {
    return this._closeReason;
  }

  /** The socket URL without its token. */
  get url(): string {
    return URLExt.join(this.serverSettings.wsUrl, 'aml', 'api', 'live');
  }

  /** Whether the client is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Follow a run's points and status, or (`runId` null) every run's status in
   * a workspace. Dispose the subscription to stop.
   */
  subscribe(workspace: string, runId: string | null = null): LiveSubscription {
    if (this._isDisposed) {
      throw new Error('LiveClient is disposed');
    }
    const subscription = new LiveSubscription(workspace, runId, s =>
      this._release(s)
    );
    const key = Private.key(workspace, runId);
    let entry = this._entries.get(key);
    if (entry) {
      entry.holders.add(subscription);
      if (entry.acknowledged) {
        // Let the caller connect to `acknowledged` first.
        void Promise.resolve().then(() => subscription._update('acknowledged'));
      }
      return subscription;
    }
    entry = {
      workspace,
      runId,
      holders: new Set([subscription]),
      acknowledged: false
    };
    this._entries.set(key, entry);
    if (this._status === 'open') {
      this._send('subscribe', entry);
    } else {
      this._connect();
    }
    return subscription;
  }

  /**
   * Close the socket and end every subscription; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    clearTimeout(this._timer);
    const entries = [...this._entries.values()];
    this._entries.clear();
    for (const entry of entries) {
      entry.holders.forEach(holder => holder.dispose());
    }
    const socket = this._socket;
    this._socket = null;
    if (socket) {
      Private.detach(socket);
      socket.close();
    }
    Signal.clearData(this);
  }

  private _connect(): void {
    if (this._socket || this._isDisposed || this._timer !== undefined) {
      return;
    }
    this._setStatus('connecting');
    let url = this.url;
    const token = this.serverSettings.token;
    // As @jupyterlab/services does for kernel sockets: the session cookie
    // authenticates same-origin sockets; the token is added only when asked.
    if (this.serverSettings.appendToken && token !== '') {
      url += `?token=${encodeURIComponent(token)}`;
    }
    let socket: WebSocket;
    try {
      socket = new this._WebSocket(url);
    } catch (error) {
      console.error('jupyterlab-aml: cannot open the live socket', error);
      this._scheduleReconnect(false);
      return;
    }
    this._socket = socket;
    socket.onopen = () => this._onOpen(socket);
    socket.onmessage = (event: MessageEvent) => this._onMessage(socket, event);
    socket.onclose = (event: CloseEvent) => this._onClose(socket, event);
    socket.onerror = () => {
      // A close event follows, which reconnects.
    };
  }

  private _onOpen(socket: WebSocket): void {
    if (socket !== this._socket) {
      return;
    }
    this._inflight.clear();
    this._closeReason = '';
    this._setStatus('open');
    for (const entry of this._entries.values()) {
      this._send('subscribe', entry);
    }
  }

  private _onMessage(socket: WebSocket, event: MessageEvent): void {
    if (socket !== this._socket) {
      return;
    }
    // The server answered on this socket: it is not failing at once, so the
    // next disconnect starts from the shortest delay again.
    this._attempts = 0;
    let message: any;
    try {
      message = JSON.parse(String(event.data));
    } catch {
      console.warn('jupyterlab-aml: live message is not JSON', event.data);
      return;
    }
    switch (message?.type) {
      case 'metrics':
        this._metricsReceived.emit(message as ILiveMetricsPush);
        break;
      case 'run':
        this._runReceived.emit(message as ILiveRunMessage);
        break;
      case 'subscribed':
        this._onSubscribed(message as Private.IAckMessage);
        break;
      case 'error':
        this._onError(message as ILiveErrorMessage);
        break;
      default:
        // `unsubscribed`, and anything a newer server adds.
        break;
    }
  }

  private _onSubscribed(message: Private.IAckMessage): void {
    const key = Private.key(message.workspace, message.run_id);
    const waiting = this._answered(key);
    const entry = this._entries.get(key);
    // An ack of an older subscribe (before an unsubscribe) is not this one's.
    if (!entry || waiting > 0 || entry.acknowledged) {
      return;
    }
    entry.acknowledged = true;
    entry.holders.forEach(holder => holder._update('acknowledged'));
  }

  private _onError(message: ILiveErrorMessage): void {
    this._errorReceived.emit(message);
    if (message.workspace === undefined) {
      console.warn('jupyterlab-aml: live channel error:', message.message);
      return;
    }
    const key = Private.key(message.workspace, message.run_id ?? null);
    this._answered(key);
    const entry = this._entries.get(key);
    entry?.holders.forEach(holder => holder._update('failed', message.message));
  }

  /**
   * Count one reply to a subscribe of `key`; how many are still unanswered.
   */
  private _answered(key: string): number {
    const left = Math.max(0, (this._inflight.get(key) ?? 0) - 1);
    if (left) {
      this._inflight.set(key, left);
    } else {
      this._inflight.delete(key);
    }
    return left;
  }

  private _onClose(socket: WebSocket, event: CloseEvent): void {
    if (socket !== this._socket) {
      return;
    }
    Private.detach(socket);
    this._socket = null;
    this._inflight.clear();
    this._closeReason = event.reason || `closed (code ${event.code})`;
    for (const entry of this._entries.values()) {
      entry.acknowledged = false;
      entry.holders.forEach(holder => holder._update('lost'));
    }
    this._setStatus('closed');
    if (this._entries.size > 0) {
      // 1013: the server dropped us for falling behind; the link itself is fine.
      this._scheduleReconnect(event.code === LiveClient.CLOSE_FELL_BEHIND);
    }
  }

  private _scheduleReconnect(soon: boolean): void {
    if (this._isDisposed || this._timer !== undefined) {
      return;
    }
    const delay = soon
      ? Math.min(this._initialDelay, LiveClient.FELL_BEHIND_DELAY)
      : Math.min(this._maxDelay, this._initialDelay * 2 ** this._attempts++);
    // Jitter, so that many pages do not all come back at the same instant.
    this._timer = setTimeout(
      () => {
        this._timer = undefined;
        this._connect();
      },
      delay * (0.5 + Math.random() / 2)
    );
  }

  private _release(subscription: LiveSubscription): void {
    const key = Private.key(subscription.workspace, subscription.runId);
    const entry = this._entries.get(key);
    if (!entry || !entry.holders.delete(subscription) || entry.holders.size) {
      return;
    }
    this._entries.delete(key);
    if (this._status === 'open') {
      this._send('unsubscribe', entry);
    }
  }

  private _send(verb: 'subscribe' | 'unsubscribe', entry: Private.IEntry) {
    const target = { workspace: entry.workspace, run_id: entry.runId };
    const key = Private.key(entry.workspace, entry.runId);
    if (verb === 'subscribe') {
      entry.acknowledged = false;
      this._inflight.set(key, (this._inflight.get(key) ?? 0) + 1);
    }
    this._socket?.send(JSON.stringify({ [verb]: target }));
  }

  private _setStatus(status: LiveClient.Status): void {
    if (status !== this._status) {
      this._status = status;
      this._connectionChanged.emit(status);
    }
  }

  private _WebSocket: typeof WebSocket;
  private _initialDelay: number;
  private _maxDelay: number;
  private _attempts = 0;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _socket: WebSocket | null = null;
  private _status: LiveClient.Status = 'closed';
  private _closeReason = '';
  private _entries = new Map<string, Private.IEntry>();
  /** Subscribes sent on the open socket and not answered yet, per target. */
  private _inflight = new Map<string, number>();
  private _isDisposed = false;
  private _metricsReceived = new Signal<this, ILiveMetricsPush>(this);
  private _runReceived = new Signal<this, ILiveRunMessage>(this);
  private _errorReceived = new Signal<this, ILiveErrorMessage>(this);
  private _connectionChanged = new Signal<this, LiveClient.Status>(this);
}

/**
 * The LiveClient statics.
 */
export namespace LiveClient {
  /** The close code of a socket the server dropped for falling behind. */
  export const CLOSE_FELL_BEHIND = 1013;

  /** The reconnect delay in milliseconds after a 1013 close: the link is fine. */
  export const FELL_BEHIND_DELAY = 100;

  /** The state of the socket. */
  export type Status = LiveStatus;

  /**
   * The options to create a client.
   */
  export interface IOptions {
    /** The server settings; by default those of the page. */
    serverSettings?: ServerConnection.ISettings;
    /** The WebSocket class; by default the server settings' one. */
    WebSocket?: typeof WebSocket;
    /** The first reconnect delay in milliseconds (default 1 s), doubled per failure. */
    initialDelay?: number;
    /** The longest reconnect delay in milliseconds (default 30 s). */
    maxDelay?: number;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * The server's acknowledgement of a subscribe.
   */
  export interface IAckMessage {
    type: 'subscribed';
    workspace: string;
    run_id: string | null;
  }

  /**
   * A live target and who holds it.
   */
  export interface IEntry {
    workspace: string;
    runId: string | null;
    holders: Set<LiveSubscription>;
    acknowledged: boolean;
  }

  /**
   * The map key of a target.
   */
  export function key(workspace: string, runId: string | null): string {
    return JSON.stringify([workspace, runId]);
  }

  /**
   * Stop listening to a socket that is being dropped.
   */
  export function detach(socket: WebSocket): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = null;
  }
}

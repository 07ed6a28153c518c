import { failureMessage } from './request';
import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { checkPollInterval } from './pollInterval';
import {
  AddWorkspaceRequest,
  IAmlClient,
  IDetectedWorkspace,
  IExperiment,
  IWorkspace,
  IWorkspaceList
} from './tokens';

/**
 * The workspaces, the active one and its experiments, kept fresh by polling.
 *
 * Polling backs off on failures, stands by while the page is hidden, and speeds
 * up while a workspace is starting (or a sign-in is waited for) so that
 * "ready" shows as soon as it is true.
 */
export class WorkspacesModel implements IDisposable {
  /**
   * Create a model; it starts polling at once unless `autoStart` is false.
   */
  constructor(options: WorkspacesModel.IOptions) {
    this._client = options.client;
    this._interval = checkPollInterval(
      options.pollInterval ?? WorkspacesModel.DEFAULT_POLL_INTERVAL
    );
    this._startingInterval = checkPollInterval(
      options.startingInterval ?? WorkspacesModel.STARTING_POLL_INTERVAL
    );
    this._maxExperiments = options.maxExperiments ?? 200;
    this._defaultWorkspace = options.defaultWorkspace ?? '';
    this._poll = new Poll({
      auto: options.autoStart ?? true,
      factory: () => this._fetch(),
      frequency: this._frequency(),
      name: 'jupyterlab-aml:WorkspacesModel',
      standby: options.standby ?? 'when-hidden'
    });
  }

  /** Emitted whenever any of the model's data changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** The workspaces, in the server's order. */
  get workspaces(): readonly IWorkspace[] {
    return this._workspaces;
  }

  /** The name of the active workspace, or null before the first reply. */
  get active(): string | null {
    return this._active;
  }

  /** The active workspace, or null before the first reply. */
  get activeWorkspace(): IWorkspace | null {
    return this._workspaces.find(ws => ws.name === this._active) ?? null;
  }

  /** Workspaces found in config files under the server root, not added yet. */
  get detected(): readonly IDetectedWorkspace[] {
    return this._detected;
  }

  /** Why the workspaces file could not be used, or null. */
  get configError(): string | null {
    return this._configError;
  }

  /** The active workspace's experiments (empty until they are loaded). */
  get experiments(): readonly IExperiment[] {
    return this._experiments ?? [];
  }

  /** Whether `experiments` holds the active workspace's list (false while it is not ready). */
  get experimentsLoaded(): boolean {
    return this._experiments !== null;
  }

  /** Whether the active workspace has more experiments than were loaded. */
  get hasMoreExperiments(): boolean {
    return this._hasMoreExperiments;
  }

  /** The last failure to reach the server, or null after a good refresh. */
  get error(): string | null {
    return this._error;
  }

  /** Whether the first reply has come in. */
  get loaded(): boolean {
    return this._loaded;
  }

  /** The polling interval in milliseconds while no workspace is starting. */
  get pollInterval(): number {
    return this._interval;
  }
  set pollInterval(value: number) {
    this._interval = checkPollInterval(value);
    this._poll.frequency = this._frequency();
  }

  /** A workspace to make active on the first reply, if it exists ("" for none). */
  get defaultWorkspace(): string {
    return this._defaultWorkspace;
  }
  set defaultWorkspace(value: string) {
    this._defaultWorkspace = value;
  }

  /** The poll's current base interval in milliseconds. */
  get currentInterval(): number {
    return this._poll.frequency.interval;
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Start polling (when created with `autoStart: false`).
   */
  async start(): Promise<void> {
    if (!this._isDisposed) {
      await this._poll.start();
    }
  }

  /**
   * Refresh now; resolves once the refresh has finished (successfully or not).
   */
  async refresh(): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    await this._poll.refresh();
    await this._poll.tick;
  }

  /**
   * Make `name` the active workspace on the server, then refresh.
   *
   * @throws the server's error; the model's `error` is set too.
   */
  async setActive(name: string): Promise<void> {
    try {
      await this._client.setActiveWorkspace(name);
    } catch (error) {
      this._error = `Cannot switch to workspace "${name}": ${failureMessage(error)}`;
      this._stateChanged.emit();
      throw error;
    }
    if (this._active !== name) {
      this._active = name;
      this._experiments = null;
      this._stateChanged.emit();
    }
    await this.refresh();
  }

  /**
   * Add a workspace, then refresh; resolves with the server's view of it.
   *
   * @throws the server's error (400 bad input, 409 conflict), for the form to show.
   */
  async add(body: AddWorkspaceRequest): Promise<IWorkspace> {
    const added = await this._client.addWorkspace(body);
    await this.refresh();
    return added;
  }

  /**
   * Remove a workspace, then refresh.
   *
   * @throws the server's error (e.g. 400 for `local`).
   */
  async remove(name: string): Promise<void> {
    await this._client.removeWorkspace(name);
    await this.refresh();
  }

  /**
   * Poll fast until the returned handle is disposed (e.g. while a sign-in is
   * waited for), as while a workspace is starting.
   */
  expedite(): IDisposable {
    this._expedited++;
    this._poll.frequency = this._frequency();
    let done = false;
    return {
      get isDisposed() {
        return done;
      },
      dispose: () => {
        if (!done) {
          done = true;
          this._expedited--;
          if (!this._isDisposed) {
            this._poll.frequency = this._frequency();
          }
        }
      }
    };
  }

  /**
   * Stop polling and release the model; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _fetch(): Promise<void> {
    const generation = ++this._generation;
    const isStale = () => this._isDisposed || generation !== this._generation;
    let list: IWorkspaceList;
    try {
      list = await this._client.listWorkspaces();
    } catch (error) {
      if (!isStale()) {
        this._error = `Cannot list workspaces: ${failureMessage(error)}`;
        this._stateChanged.emit();
      }
      throw error;
    }
    if (isStale()) {
      return;
    }
    list = await this._applyDefaultWorkspace(list);
    if (isStale()) {
      return;
    }
    if (list.active !== this._active) {
      this._experiments = null;
    }
    this._workspaces = list.workspaces;
    this._active = list.active;
    this._configError = list.config_error;
    this._detected = list.detected ?? [];
    this._loaded = true;
    this._poll.frequency = this._frequency();
    const active = this.activeWorkspace;
    if (!active || active.state !== 'ready') {
      this._experiments = null;
      this._hasMoreExperiments = false;
      this._error = null;
      this._stateChanged.emit();
      return;
    }
    this._stateChanged.emit();
    try {
      const page = await this._client.listExperiments(active.name, {
        max_results: this._maxExperiments
      });
      if (isStale()) {
        return;
      }
      this._experiments = page.experiments;
      this._hasMoreExperiments = !!page.next_page_token;
      this._error = null;
      this._stateChanged.emit();
    } catch (error) {
      if (!isStale()) {
        this._error = `Cannot list experiments of "${active.name}": ${failureMessage(error)}`;
        this._stateChanged.emit();
      }
      throw error;
    }
  }

  /**
   * On the first reply, switch to the configured default workspace if it exists.
   */
  private async _applyDefaultWorkspace(
    list: IWorkspaceList
  ): Promise<IWorkspaceList> {
    const name = this._defaultWorkspace;
    if (this._defaultApplied || !name) {
      return list;
    }
    this._defaultApplied = true;
    if (name === list.active || !list.workspaces.some(ws => ws.name === name)) {
      return list;
    }
    try {
      const reply = await this._client.setActiveWorkspace(name);
      return { ...list, active: reply.active };
    } catch (error) {
      // A default that cannot be applied must not hide the workspace list.
      console.warn(
        `jupyterlab-aml: cannot activate default workspace "${name}"`,
        error
      );
      return list;
    }
  }

  private _frequency(): IPoll.Frequency {
    const starting =
      this._expedited > 0 ||
      this._workspaces.some(ws => ws.state === 'starting');
    const interval = starting
      ? Math.min(this._startingInterval, this._interval)
      : this._interval;
    return {
      interval,
      backoff: true,
      max: Math.max(interval, WorkspacesModel.MAX_BACKOFF_INTERVAL)
    };
  }

  private _client: IAmlClient;
  private _poll: Poll;
  private _interval: number;
  private _startingInterval: number;
  private _maxExperiments: number;
  private _defaultWorkspace: string;
  private _defaultApplied = false;
  private _generation = 0;
  private _workspaces: IWorkspace[] = [];
  private _active: string | null = null;
  private _configError: string | null = null;
  private _detected: IDetectedWorkspace[] = [];
  private _expedited = 0;
  private _experiments: IExperiment[] | null = null;
  private _hasMoreExperiments = false;
  private _error: string | null = null;
  private _loaded = false;
  private _isDisposed = false;
  private _stateChanged = new Signal<this, void>(this);
}

/**
 * The WorkspacesModel statics.
 */
export namespace WorkspacesModel {
  /** The default polling interval in milliseconds. */
  export const DEFAULT_POLL_INTERVAL = 10 * 1000;

  /** The polling interval in milliseconds while a workspace is starting. */
  export const STARTING_POLL_INTERVAL = 1000;

  /** The longest wait in milliseconds that backoff grows to after failures. */
  export const MAX_BACKOFF_INTERVAL = 5 * 60 * 1000;

  /**
   * The options to create a model.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The polling interval in milliseconds. */
    pollInterval?: number;
    /** The polling interval in milliseconds while a workspace is starting. */
    startingInterval?: number;
    /** How many experiments to load for the active workspace. */
    maxExperiments?: number;
    /** A workspace to make active on the first reply, if it exists. */
    defaultWorkspace?: string;
    /** Whether to start polling at once (default true). */
    autoStart?: boolean;
    /** When the poll stands by (default 'when-hidden'). */
    standby?: Poll.Standby | (() => boolean | Poll.Standby);
  }
}

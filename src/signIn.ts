import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { WorkspacesModel } from './model';
import { failureMessage } from './request';
import { IAmlClient, IWorkspace } from './tokens';

/**
 * Where a sign-in stands, as the sidebar shows it.
 *
 * - `requesting`: the sign-in request is on its way.
 * - `device-code`: show the code and the address; wait for the user.
 * - `waiting`: the server retries a non-interactive credential; show progress.
 * - `expired`: the device code expired before the user finished.
 * - `failed`: the request failed, or the workspace came back not signed in.
 */
export type SignInPhase =
  'requesting' | 'device-code' | 'waiting' | 'expired' | 'failed';

/**
 * One workspace's sign-in: what to show and what it is waiting for.
 */
export interface ISignInState {
  phase: SignInPhase;
  /** The device code to enter, or null. */
  userCode: string | null;
  /** Where to enter it, or null. */
  verificationUri: string | null;
  /** When the code expires, in epoch ms, or null. */
  expiresAt: number | null;
  /** Azure's instructions, or why the sign-in failed. */
  message: string | null;
  /** When the server answered, in epoch ms (for the waiting time limit). */
  startedAt: number;
  /**
   * The workspace's state and detail first seen after the server answered:
   * while a device code is pending the workspace stays signed out with a
   * "waiting" detail, and only a change from it is an outcome.
   */
  baseline: string | null;
}

/**
 * The next state of a sign-in once the workspace is seen as `workspace` at
 * `now`; null when the sign-in is over because the workspace is ready (or gone).
 */
export function nextSignInState(
  state: ISignInState,
  workspace: IWorkspace | undefined,
  now: number,
  waitLimit = SIGN_IN_WAIT_LIMIT
): ISignInState | null {
  if (state.phase === 'requesting') {
    return state; // the server has not answered yet
  }
  if (!workspace || workspace.state === 'ready') {
    return null;
  }
  if (state.phase !== 'device-code' && state.phase !== 'waiting') {
    return state;
  }
  const seen = JSON.stringify([workspace.state, workspace.detail]);
  const baseline = state.baseline ?? seen;
  if (state.phase === 'device-code' && state.expiresAt !== null) {
    if (now >= state.expiresAt) {
      return {
        ...state,
        phase: 'expired',
        message: 'The code expired before the sign-in was finished.'
      };
    }
  }
  if (workspace.state === 'starting') {
    // Signed in, and connecting; or still trying the credential.
    if (state.phase === 'waiting' && now - state.startedAt > waitLimit) {
      return {
        ...state,
        baseline,
        phase: 'failed',
        message:
          'Still signing in after a long wait; the workspace shows the outcome when there is one.'
      };
    }
    return { ...state, baseline };
  }
  // Signed out or in error: a device code sign-in is still pending while the
  // workspace looks as it did at first; a retried credential has its answer.
  if (state.phase === 'device-code' && seen === baseline) {
    return { ...state, baseline };
  }
  return {
    ...state,
    baseline,
    phase: 'failed',
    message: workspace.detail || `The workspace is ${workspace.state}.`
  };
}

/**
 * How long a non-interactive retry is waited for, in ms.
 */
export const SIGN_IN_WAIT_LIMIT = 2 * 60 * 1000;

/**
 * The sign-ins in progress, one per workspace, kept up to date from the
 * workspaces model (which polls fast while any is pending).
 */
export class SignInModel implements IDisposable {
  /**
   * Create a model following `options.workspaces`.
   */
  constructor(options: SignInModel.IOptions) {
    this._client = options.client;
    this._workspaces = options.workspaces;
    this._now = options.now ?? Date.now;
    this._workspaces.stateChanged.connect(this._update, this);
  }

  /** Emitted when any sign-in changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The sign-in of a workspace, or undefined when none is shown.
   */
  get(name: string): ISignInState | undefined {
    return this._states.get(name);
  }

  /**
   * Start (or restart) a workspace's sign-in.
   */
  async start(name: string): Promise<void> {
    this._set(name, {
      phase: 'requesting',
      userCode: null,
      verificationUri: null,
      expiresAt: null,
      message: null,
      startedAt: this._now(),
      baseline: null
    });
    try {
      const reply = await this._client.signIn(name);
      if (this._states.get(name)?.phase !== 'requesting') {
        return; // dismissed meanwhile
      }
      const device = reply.user_code !== null;
      this._set(name, {
        phase: device ? 'device-code' : 'waiting',
        userCode: reply.user_code,
        verificationUri: reply.verification_uri,
        expiresAt: reply.expires_on === null ? null : reply.expires_on * 1000,
        message: reply.message,
        startedAt: this._now(),
        baseline: null
      });
      this._expedite();
      await this._workspaces.refresh();
    } catch (error) {
      if (this._states.has(name)) {
        this._set(name, {
          ...this._states.get(name)!,
          phase: 'failed',
          message: `Cannot sign in to "${name}": ${failureMessage(error)}`
        });
      }
    }
  }

  /**
   * Stop showing a workspace's sign-in (the server may still finish it).
   */
  dismiss(name: string): void {
    if (this._states.delete(name)) {
      this._expedite();
      this._changed.emit();
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
    this._workspaces.stateChanged.disconnect(this._update, this);
    this._fast?.dispose();
    clearTimeout(this._timer);
    Signal.clearData(this);
  }

  private _update(): void {
    const now = this._now();
    let changed = false;
    for (const [name, state] of this._states) {
      const ws = this._workspaces.workspaces.find(w => w.name === name);
      const next = nextSignInState(state, ws, now);
      if (next === null) {
        this._states.delete(name);
        changed = true;
      } else if (JSON.stringify(next) !== JSON.stringify(state)) {
        this._states.set(name, next);
        changed = true;
      }
    }
    if (changed) {
      this._expedite();
      this._changed.emit();
    }
  }

  private _set(name: string, state: ISignInState): void {
    this._states.set(name, state);
    this._changed.emit();
  }

  /**
   * Poll fast while any sign-in waits; wake up when a code expires.
   */
  private _expedite(): void {
    const pending = [...this._states.values()].filter(
      s => s.phase === 'device-code' || s.phase === 'waiting'
    );
    if (pending.length > 0 && !this._fast) {
      this._fast = this._workspaces.expedite();
    } else if (pending.length === 0 && this._fast) {
      this._fast.dispose();
      this._fast = null;
    }
    clearTimeout(this._timer);
    const expiries = pending
      .map(s => s.expiresAt)
      .filter((t): t is number => t !== null);
    if (expiries.length > 0) {
      const wait = Math.max(0, Math.min(...expiries) - this._now());
      this._timer = setTimeout(() => this._update(), wait + 50);
    }
  }

  private _client: IAmlClient;
  private _workspaces: WorkspacesModel;
  private _now: () => number;
  private _states = new Map<string, ISignInState>();
  private _fast: IDisposable | null = null;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
}

/**
 * The SignInModel statics.
 */
export namespace SignInModel {
  /**
   * The options to create a model.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The workspaces model, which reports the outcome. */
    workspaces: WorkspacesModel;
    /** The clock (default `Date.now`). */
    now?: () => number;
  }
}

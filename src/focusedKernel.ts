import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * The kernel of the notebook in focus: which one it is, and when it goes idle.
 */
export class FocusedKernel implements IDisposable {
  /**
   * Follow the current notebook of `tracker`.
   */
  constructor(tracker: FocusedKernel.INotebookTrackerLike) {
    this._tracker = tracker;
    tracker.currentChanged.connect(this._onCurrentChanged, this);
    this._watch(tracker.currentWidget);
  }

  /** Emitted when the notebook in focus or its kernel changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the kernel goes idle (e.g. a cell has finished). */
  get idle(): ISignal<this, void> {
    return this._idle;
  }

  /** Whether a notebook is in focus. */
  get hasNotebook(): boolean {
    return this._notebook !== null;
  }

  /** The id of the focused notebook's kernel, or null. */
  get kernelId(): string | null {
    return this._notebook?.sessionContext.session?.kernel?.id ?? null;
  }

  /** Whether the follower is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Stop following; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._watch(null);
    this._tracker.currentChanged.disconnect(this._onCurrentChanged, this);
    Signal.clearData(this);
  }

  private _onCurrentChanged(): void {
    this._watch(this._tracker.currentWidget);
    this._changed.emit();
  }

  private _watch(notebook: FocusedKernel.INotebookLike | null): void {
    const old = this._notebook?.sessionContext;
    old?.kernelChanged.disconnect(this._onKernelChanged, this);
    old?.statusChanged.disconnect(this._onKernelStatus, this);
    this._notebook = notebook;
    notebook?.sessionContext.kernelChanged.connect(this._onKernelChanged, this);
    notebook?.sessionContext.statusChanged.connect(this._onKernelStatus, this);
  }

  private _onKernelChanged(): void {
    this._changed.emit();
  }

  private _onKernelStatus(_: unknown, status: string): void {
    if (status === 'idle') {
      this._idle.emit();
    }
  }

  private _tracker: FocusedKernel.INotebookTrackerLike;
  private _notebook: FocusedKernel.INotebookLike | null = null;
  private _isDisposed = false;
  private _changed = new Signal<this, void>(this);
  private _idle = new Signal<this, void>(this);
}

/**
 * The FocusedKernel statics.
 */
export namespace FocusedKernel {
  /**
   * The part of a notebook's `ISessionContext` that is read.
   */
  export interface ISessionContextLike {
    readonly session: {
      readonly kernel: { readonly id: string } | null;
    } | null;
    readonly kernelChanged: ISignal<any, any>;
    readonly statusChanged: ISignal<any, string>;
  }

  /**
   * The part of a `NotebookPanel` that is read.
   */
  export interface INotebookLike {
    readonly sessionContext: ISessionContextLike;
  }

  /**
   * The part of an `INotebookTracker` that is read.
   */
  export interface INotebookTrackerLike {
    readonly currentWidget: INotebookLike | null;
    readonly currentChanged: ISignal<any, any>;
  }
}

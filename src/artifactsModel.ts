import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import {
  ArtifactPreview,
  buildPreview,
  MAX_PREVIEW_BYTES
} from './artifactPreview';
import { failureMessage } from './runQuery';
import { IAmlClient, IArtifactFile } from './tokens';

/**
 * A run's artifacts as a tree that loads each folder when it is first opened,
 * and the preview of the selected file.
 */
export class ArtifactsModel implements IDisposable {
  /**
   * Create a model; nothing loads until a folder is expanded.
   */
  constructor(options: ArtifactsModel.IOptions) {
    this._client = options.client;
    this.workspace = options.workspace;
    this.runId = options.runId;
    this._createUrl =
      options.createObjectUrl ?? (blob => URL.createObjectURL(blob));
    this._revokeUrl =
      options.revokeObjectUrl ?? (url => URL.revokeObjectURL(url));
  }

  /** The workspace of the run. */
  readonly workspace: string;

  /** The run whose artifacts these are. */
  readonly runId: string;

  /** Emitted whenever a folder, the selection or the preview changes. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** The selected file's path, or null. */
  get selected(): string | null {
    return this._selected;
  }

  /** The selected file's preview, or null while none is selected or it loads. */
  get preview(): ArtifactPreview | null {
    return this._preview;
  }

  /** Whether the selected file's bytes are on their way. */
  get previewLoading(): boolean {
    return this._selected !== null && this._preview === null;
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * A folder's listing state ('' is the root), or undefined before it is opened.
   */
  folder(path: string): ArtifactsModel.IFolder | undefined {
    return this._folders.get(path);
  }

  /**
   * Whether a folder is open.
   */
  isExpanded(path: string): boolean {
    return this._expanded.has(path);
  }

  /**
   * Open a folder, listing it the first time (and again after a failure).
   */
  async expand(path: string): Promise<void> {
    this._expanded.add(path);
    const known = this._folders.get(path);
    if (known && known.state !== 'error') {
      this._stateChanged.emit();
      return;
    }
    this._folders.set(path, { state: 'loading', files: [], error: null });
    this._stateChanged.emit();
    let folder: ArtifactsModel.IFolder;
    try {
      const list = await this._client.listArtifacts(
        this.workspace,
        this.runId,
        path
      );
      folder = {
        state: 'loaded',
        files: Private.sorted(list.files),
        error: null
      };
    } catch (error) {
      folder = { state: 'error', files: [], error: failureMessage(error) };
    }
    if (!this._isDisposed) {
      this._folders.set(path, folder);
      this._stateChanged.emit();
    }
  }

  /**
   * Close a folder (its listing is kept).
   */
  collapse(path: string): void {
    if (this._expanded.delete(path)) {
      this._stateChanged.emit();
    }
  }

  /**
   * Open a closed folder, close an open one.
   */
  async toggle(path: string): Promise<void> {
    if (this.isExpanded(path)) {
      this.collapse(path);
    } else {
      await this.expand(path);
    }
  }

  /**
   * Select a file and load its preview (a folder toggles instead).
   */
  async select(file: IArtifactFile): Promise<void> {
    if (file.is_dir) {
      return this.toggle(file.path);
    }
    if (file.path === this._selected && this._preview?.kind !== 'error') {
      return;
    }
    this._setPreview(file.path, null);
    const { path } = file;
    if (file.file_size !== null && file.file_size > MAX_PREVIEW_BYTES) {
      this._setPreview(path, { kind: 'too-large', path, size: file.file_size });
      return;
    }
    let preview: ArtifactPreview;
    try {
      const blob = await this.fetchContent(path);
      preview = await buildPreview(path, blob, blob => this._track(blob));
    } catch (error) {
      const message = failureMessage(error);
      preview = { kind: 'error', path, size: file.file_size, message };
    }
    if (this._isDisposed || this._selected !== path) {
      // Another file was picked meanwhile: this URL has no one to show it.
      if (preview.kind === 'image') {
        this._revoke(preview.url);
      }
      return;
    }
    this._setPreview(path, preview);
  }

  /**
   * The bytes of a file, fetched with the client (the route needs Jupyter auth).
   */
  fetchContent(path: string): Promise<Blob> {
    return this._client.getArtifactContent(this.workspace, this.runId, path);
  }

  /**
   * Release the preview's object URL; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    for (const url of this._urls) {
      this._revokeUrl(url);
    }
    this._urls.clear();
    Signal.clearData(this);
  }

  private _setPreview(path: string, preview: ArtifactPreview | null): void {
    const old = this._preview;
    if (old?.kind === 'image' && old !== preview) {
      this._revoke(old.url);
    }
    this._selected = path;
    this._preview = preview;
    this._stateChanged.emit();
  }

  private _track(blob: Blob): string {
    const url = this._createUrl(blob);
    this._urls.add(url);
    return url;
  }

  private _revoke(url: string): void {
    if (this._urls.delete(url)) {
      this._revokeUrl(url);
    }
  }

  private _client: IAmlClient;
  private _createUrl: (blob: Blob) => string;
  private _revokeUrl: (url: string) => void;
  private _urls = new Set<string>();
  private _folders = new Map<string, ArtifactsModel.IFolder>();
  private _expanded = new Set<string>();
  private _selected: string | null = null;
  private _preview: ArtifactPreview | null = null;
  private _isDisposed = false;
  private _stateChanged = new Signal<this, void>(this);
}

/**
 * The ArtifactsModel statics.
 */
export namespace ArtifactsModel {
  /**
   * One folder's listing.
   */
  export interface IFolder {
    state: 'loading' | 'loaded' | 'error';
    /** Folders first, then files, each by name. */
    files: IArtifactFile[];
    error: string | null;
  }

  /**
   * The options to create a model.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The workspace of the run. */
    workspace: string;
    /** The run. */
    runId: string;
    /** Make an object URL for an image preview (default `URL.createObjectURL`). */
    createObjectUrl?: (blob: Blob) => string;
    /** Release an object URL (default `URL.revokeObjectURL`). */
    revokeObjectUrl?: (url: string) => void;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Folders first, then files, each by path.
   */
  export function sorted(files: IArtifactFile[]): IArtifactFile[] {
    return files
      .slice()
      .sort(
        (a, b) =>
          Number(b.is_dir) - Number(a.is_dir) || a.path.localeCompare(b.path)
      );
  }
}

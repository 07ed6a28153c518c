import { IDisposable } from '@lumino/disposable';

import { ArtifactPreview, basename } from '../artifactPreview';
import { ArtifactsModel } from '../artifactsModel';
import { IArtifactFile } from '../tokens';
import { h } from './dom';
import { formatBytes } from './relativeTime';

/**
 * A run's artifacts: a tree whose folders list when first opened, and the
 * preview of the selected file. Every artifact's text goes in through
 * `textContent`, HTML only into a sandboxed frame without scripts.
 *
 * Keyboard: Tab or ArrowUp/ArrowDown move between items, Enter or Space opens a
 * folder or previews a file, ArrowRight/ArrowLeft open/close a folder.
 */
export class ArtifactsView implements IDisposable {
  /**
   * Create the view of `options.model`; call `open()` to list the root.
   */
  constructor(options: ArtifactsView.IOptions) {
    this._model = options.model;
    this._download =
      options.download ?? ((name, blob) => Private.saveBlob(name, blob));
    this.node = h(
      'div',
      { class: 'jp-aml-artifacts' },
      this._tree,
      this._preview
    );
    this._tree.addEventListener('click', this._onClick);
    this._tree.addEventListener('keydown', this._onKeyDown);
    this._preview.addEventListener('click', this._onPreviewClick);
    this._model.stateChanged.connect(this.render, this);
    this.render();
  }

  /** The view's element. */
  readonly node: HTMLElement;

  /** Whether the view is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * List the root folder (the first time only).
   */
  open(): Promise<void> {
    return this._model.folder('') ? Promise.resolve() : this._model.expand('');
  }

  /**
   * Show the tree and the preview.
   */
  render(): void {
    // Rebuilding drops the focused item: give focus back to its successor.
    const active = document.activeElement as HTMLElement | null;
    const focused =
      active && this._tree.contains(active) ? active.dataset.path : undefined;
    this._tree.replaceChildren(...this._items('', 1));
    if (focused !== undefined) {
      this._item(focused)?.focus();
    }
    this._renderPreview();
  }

  /**
   * Stop rendering the model; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._model.stateChanged.disconnect(this.render, this);
  }

  /**
   * The items of a folder and of its open subfolders, depth first.
   */
  private _items(path: string, level: number): HTMLElement[] {
    const folder = this._model.folder(path);
    if (!folder || folder.state === 'loading') {
      return [Private.note(level, 'Loading…')];
    }
    if (folder.state === 'error') {
      return [Private.note(level, folder.error ?? 'Cannot list artifacts.')];
    }
    if (folder.files.length === 0) {
      return level === 1 ? [Private.note(level, 'No artifacts.')] : [];
    }
    const items: HTMLElement[] = [];
    for (const file of folder.files) {
      const open = file.is_dir && this._model.isExpanded(file.path);
      items.push(this._itemFor(file, level, open));
      if (open) {
        items.push(...this._items(file.path, level + 1));
      }
    }
    return items;
  }

  private _itemFor(
    file: IArtifactFile,
    level: number,
    open: boolean
  ): HTMLElement {
    const selected = this._model.selected === file.path;
    const button = h(
      'button',
      {
        class: 'jp-aml-artifact',
        role: 'treeitem',
        'aria-level': String(level),
        'aria-selected': String(selected),
        'aria-expanded': file.is_dir ? String(open) : undefined,
        'data-path': file.path,
        'data-dir': String(file.is_dir),
        title: file.path
      },
      h(
        'span',
        { class: 'jp-aml-artifact-icon', 'aria-hidden': 'true' },
        file.is_dir ? (open ? '▾' : '▸') : '·'
      ),
      h('span', { class: 'jp-aml-artifact-name' }, basename(file.path)),
      h('span', { class: 'jp-aml-artifact-size' }, formatBytes(file.file_size))
    );
    button.style.setProperty('--jp-aml-artifact-level', String(level - 1));
    button.classList.toggle('jp-mod-selected', selected);
    return button;
  }

  private _renderPreview(): void {
    const path = this._model.selected;
    const preview = this._model.preview;
    this._preview.hidden = path === null;
    if (path === null || this._shownPreview === (preview ?? path)) {
      return;
    }
    this._shownPreview = preview ?? path;
    const header = h(
      'div',
      { class: 'jp-aml-artifact-preview-header' },
      h('span', { class: 'jp-aml-artifact-preview-path' }, path),
      h(
        'span',
        { class: 'jp-aml-artifact-size' },
        formatBytes(preview?.size ?? null)
      ),
      h(
        'button',
        { class: 'jp-mod-styled jp-aml-artifact-download', 'data-path': path },
        'Download'
      )
    );
    const body = preview
      ? Private.previewBody(preview)
      : h('p', { class: 'jp-aml-empty' }, 'Loading preview…');
    this._preview.dataset.kind = preview?.kind ?? 'loading';
    this._preview.replaceChildren(header, body);
  }

  private _item(path: string): HTMLElement | null {
    return (
      Array.from(
        this._tree.querySelectorAll<HTMLElement>('.jp-aml-artifact')
      ).find(item => item.dataset.path === path) ?? null
    );
  }

  private _fileOf(item: HTMLElement): IArtifactFile {
    return {
      path: item.dataset.path!,
      is_dir: item.dataset.dir === 'true',
      file_size: null
    };
  }

  private _onClick = (event: MouseEvent): void => {
    const item = (event.target as HTMLElement).closest<HTMLElement>(
      '.jp-aml-artifact'
    );
    if (item) {
      const file = this._fileOf(item);
      const known = this._model
        .folder(Private.parent(file.path))
        ?.files.find(f => f.path === file.path);
      void this._model.select(known ?? file);
    }
  };

  private _onKeyDown = (event: KeyboardEvent): void => {
    const item = (event.target as HTMLElement).closest<HTMLElement>(
      '.jp-aml-artifact'
    );
    if (!item) {
      return;
    }
    const items = Array.from(
      this._tree.querySelectorAll<HTMLElement>('.jp-aml-artifact')
    );
    const index = items.indexOf(item);
    const file = this._fileOf(item);
    const expanded = this._model.isExpanded(file.path);
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      items[index + (event.key === 'ArrowDown' ? 1 : -1)]?.focus();
    } else if (event.key === 'ArrowRight' && file.is_dir && !expanded) {
      void this._model.expand(file.path);
    } else if (event.key === 'ArrowLeft' && file.is_dir && expanded) {
      this._model.collapse(file.path);
    } else {
      return;
    }
    event.preventDefault();
  };

  private _onPreviewClick = (event: MouseEvent): void => {
    const button = (event.target as HTMLElement).closest<HTMLElement>(
      '.jp-aml-artifact-download'
    );
    const path = button?.dataset.path;
    if (path) {
      this._model.fetchContent(path).then(
        blob => this._download(basename(path), blob),
        error => console.error(`jupyterlab-aml: cannot download ${path}`, error)
      );
    }
  };

  private _model: ArtifactsModel;
  private _download: (name: string, blob: Blob) => void;
  private _tree = h('div', {
    class: 'jp-aml-artifact-tree',
    role: 'tree',
    'aria-label': 'Artifacts'
  });
  private _preview = h('div', {
    class: 'jp-aml-artifact-preview',
    'aria-live': 'polite'
  });
  private _shownPreview: ArtifactPreview | string | null = null;
  private _isDisposed = false;
}

/**
 * The ArtifactsView statics.
 */
export namespace ArtifactsView {
  /**
   * The options to create a view.
   */
  export interface IOptions {
    /** The artifacts of one run. */
    model: ArtifactsModel;
    /** Save downloaded bytes (default: a download link clicked in the page). */
    download?: (name: string, blob: Blob) => void;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Lets an HTML artifact without its own colours follow the page's scheme.
   */
  const COLOR_SCHEME = '<meta name="color-scheme" content="light dark">';

  /**
   * The folder of an artifact path ('' for the root).
   */
  export function parent(path: string): string {
    const slash = path.lastIndexOf('/');
    return slash < 0 ? '' : path.slice(0, slash);
  }

  /**
   * A line in the tree that is not an item.
   */
  export function note(level: number, text: string): HTMLElement {
    const line = h('div', { class: 'jp-aml-artifact-note' }, text);
    line.style.setProperty('--jp-aml-artifact-level', String(level - 1));
    return line;
  }

  /**
   * The body of a preview.
   */
  export function previewBody(preview: ArtifactPreview): HTMLElement {
    const size = formatBytes(preview.size);
    switch (preview.kind) {
      case 'image':
        return h('img', {
          class: 'jp-aml-artifact-image',
          src: preview.url,
          alt: basename(preview.path)
        });
      case 'text':
      case 'json':
        return h(
          'div',
          {},
          h('pre', { class: 'jp-aml-artifact-text' }, preview.text),
          preview.truncated
            ? truncatedNote('Showing the start of the file.')
            : null
        );
      case 'csv':
        return csvTable(preview.rows, preview.truncated);
      case 'html': {
        const frame = h('iframe', {
          class: 'jp-aml-artifact-html',
          // No allow-scripts, no allow-same-origin: the page is inert.
          sandbox: '',
          title: basename(preview.path)
        });
        // Unstyled pages follow the theme's light or dark scheme.
        frame.srcdoc = COLOR_SCHEME + preview.html;
        return frame;
      }
      case 'too-large':
        return truncatedNote(
          `This file is ${size}: too large to preview here. Use Download.`
        );
      case 'binary':
        return truncatedNote(
          `No preview for this file (${size}). Use Download.`
        );
      case 'error':
        return h(
          'div',
          { class: 'jp-aml-banner jp-aml-error', role: 'alert' },
          `Cannot preview ${preview.path}: ${preview.message}`
        );
    }
  }

  /**
   * A table of CSV rows, the first one as the header.
   */
  function csvTable(rows: string[][], truncated: boolean): HTMLElement {
    const [head, ...body] = rows;
    const table = h(
      'table',
      { class: 'jp-aml-artifact-csv' },
      h(
        'thead',
        {},
        h('tr', {}, ...(head ?? []).map(cell => h('th', {}, cell)))
      ),
      h(
        'tbody',
        {},
        ...body.map(row => h('tr', {}, ...row.map(cell => h('td', {}, cell))))
      )
    );
    return h(
      'div',
      { class: 'jp-aml-artifact-csv-wrap' },
      table,
      truncated ? truncatedNote(`Showing the first ${rows.length} rows.`) : null
    );
  }

  function truncatedNote(text: string): HTMLElement {
    return h('p', { class: 'jp-aml-empty' }, text);
  }

  /**
   * Save a blob through a temporary download link.
   */
  export function saveBlob(name: string, blob: Blob): void {
    const url = URL.createObjectURL(blob);
    const link = h('a', { href: url, download: name });
    document.body.append(link);
    link.click();
    link.remove();
    // The click has started the download; the URL is not needed after it.
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}

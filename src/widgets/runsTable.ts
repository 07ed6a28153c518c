import { UUID } from '@lumino/coreutils';
import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { RunsModel } from '../runsModel';
import { RunSelection } from '../runSelection';
import { IRun } from '../tokens';
import { h, setNote } from './dom';
import {
  gridTemplate,
  headerCells,
  IRunColumn,
  markSort,
  runColumns,
  runsNote
} from './runColumns';
import { RunsTableInput } from './runsTableInput';
import { RunsTableRows } from './runsTableRows';
import { RunsToolbar } from './runsToolbar';

/**
 * The runs of a `RunsModel` as a virtualized grid: only the rows in view are in
 * the DOM (fixed row height; the body's height gives the scroll range), so ten
 * thousand runs scroll as smoothly as ten. Further pages load as the end nears.
 *
 * Click selects, ctrl/cmd-click toggles, shift-click selects a range, double
 * click opens (see `runsTableInput.ts`); the keyboard map is in `gridKeys.ts`.
 */
export class RunsTable extends Widget {
  /**
   * Create the table of `options.model`.
   */
  constructor(options: RunsTable.IOptions) {
    super();
    this.addClass('jp-aml-runs');
    this._model = options.model;
    this._rowHeight = options.rowHeight ?? RunsTable.ROW_HEIGHT;
    this._overscan = options.overscan ?? 8;
    this._now = options.now ?? Date.now;
    this._timeInterval = options.timeRefreshInterval ?? 30 * 1000;
    this._toolbar = new RunsToolbar({
      model: this._model,
      compare: options.compare
    });
    this._grid = h('div', {
      class: 'jp-aml-runs-table',
      role: 'grid',
      tabindex: '0',
      'aria-label': 'Runs',
      'aria-multiselectable': 'true'
    });
    this._grid.style.setProperty(
      '--jp-aml-runs-row-height',
      `${this._rowHeight}px`
    );
    this._grid.append(this._header, this._body);
    this.node.append(this._toolbar.node, this._error, this._grid, this._note);

    this._grid.addEventListener('scroll', this._onScroll, { passive: true });
    // Its listeners live as long as these elements: nothing to keep or free.
    new RunsTableInput({
      model: this._model,
      grid: this._grid,
      body: this._body,
      header: this._header,
      focus: () => this._focus,
      setFocus: index => (this._focus = index),
      focusRow: index => this.focusRow(index),
      pageRows: () => Math.floor(this._viewportHeight() / this._rowHeight),
      render: () => this._render(),
      activate: run => this._runActivated.emit(run)
    });
    this._model.stateChanged.connect(this._onModelChanged, this);
    this._model.selection.changed.connect(this._onSelectionChanged, this);
    this._onModelChanged();
  }

  /** Emitted when a run is opened (double click or Enter). */
  get runActivated(): ISignal<this, IRun> {
    return this._runActivated;
  }

  /** Emitted with the selected run ids whenever the selection changes. */
  get selectionChanged(): ISignal<this, ReadonlySet<string>> {
    return this._selectionChanged;
  }

  /** The model the table renders. */
  get model(): RunsModel {
    return this._model;
  }

  /** The position of the keyboard focus row. */
  get focusIndex(): number {
    return this._focus;
  }

  /**
   * Move the focus row to `index` and scroll it into view.
   */
  focusRow(index: number): void {
    const count = this._model.runs.length;
    this._focus = Math.max(0, Math.min(count - 1, index));
    const h = this._rowHeight;
    const view = this._viewportHeight() - h; // the sticky header covers one row
    const top = this._focus * h;
    if (top < this._grid.scrollTop) {
      this._grid.scrollTop = top;
    } else if (top + h > this._grid.scrollTop + view) {
      this._grid.scrollTop = top + h - view;
    }
    this._render();
  }

  /**
   * Stop rendering the model; safe to call more than once.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopClock();
    this._model.stateChanged.disconnect(this._onModelChanged, this);
    this._model.selection.changed.disconnect(this._onSelectionChanged, this);
    this._toolbar.dispose();
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._startClock();
    this._render();
  }

  protected onBeforeDetach(msg: Message): void {
    this._stopClock();
    super.onBeforeDetach(msg);
  }

  protected onResize(msg: Widget.ResizeMessage): void {
    super.onResize(msg);
    this._render();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._render();
  }

  private _onModelChanged(): void {
    const model = this._model;
    if (model.appliedVersion !== this._version) {
      // Another query's rows: start at their top.
      this._version = model.appliedVersion;
      this._grid.scrollTop = 0;
      this._focus = 0;
    } else if (this._topRunId !== null && this._grid.scrollTop > 0) {
      // New runs merged in above: keep the rows in view where they were.
      const moved = model.indexOf(this._topRunId) - this._topIndex;
      if (model.indexOf(this._topRunId) >= 0 && moved !== 0) {
        this._grid.scrollTop += moved * this._rowHeight;
        this._focus += moved;
      }
    }
    this._toolbar.render();
    this._error.textContent = model.error ?? '';
    this._error.hidden = model.error === null;
    const columns = model.columns.join('\n');
    if (columns !== this._columnsKey) {
      this._columnsKey = columns;
      this._setColumns(runColumns(model.columns));
    }
    markSort(this._header, model.sort);
    const note = runsNote(model);
    setNote(this._note, note);
    this._note.hidden = note === null;
    this._grid.dataset.empty = String(model.loaded && model.runs.length === 0);
    this._render(true);
  }

  private _onSelectionChanged(_: RunSelection, ids: ReadonlySet<string>): void {
    this._toolbar.render();
    this._render();
    this._selectionChanged.emit(ids);
  }

  /**
   * Put the rows in view into the DOM; `refill` rewrites their cells too.
   */
  private _render(refill = false): void {
    const runs = this._model.runs;
    const h = this._rowHeight;
    const scrollTop = this._grid.scrollTop;
    const first = Math.floor(scrollTop / h);
    const start = Math.max(0, first - this._overscan);
    const end = Math.min(
      runs.length,
      Math.ceil((scrollTop + this._viewportHeight()) / h) + this._overscan
    );
    this._topIndex = first;
    this._topRunId = runs[first]?.run_id ?? null;
    this._body.style.height = `${runs.length * h}px`;
    this._grid.setAttribute('aria-rowcount', String(runs.length + 1));

    this._rows.render({
      runs,
      start,
      end,
      rowHeight: h,
      selection: this._model.selection.ids,
      focus: this._focus,
      now: this._now(),
      workspace: this._model.workspace ?? '',
      refill
    });

    const focused =
      runs[this._focus] && this._rows.has(runs[this._focus].run_id);
    if (focused) {
      this._grid.setAttribute(
        'aria-activedescendant',
        this._rows.elementId(this._focus)
      );
    } else {
      this._grid.removeAttribute('aria-activedescendant');
    }
    this._grid.dataset.totalLoaded = String(runs.length);
    this._grid.dataset.renderedRows = String(this._rows.size);
    this._grid.dataset.selectedCount = String(this._model.selection.ids.size);
    this._grid.dataset.hasMore = String(this._model.hasMore);
    this._grid.dataset.loading = String(this._model.loading);

    if (end >= runs.length - RunsTable.LOAD_AHEAD && this._model.hasMore) {
      void this._model.loadMore();
    }
  }

  private _setColumns(columns: IRunColumn[]): void {
    const { tracks, minWidth } = gridTemplate(columns);
    this._grid.style.setProperty('--jp-aml-runs-columns', tracks);
    this._grid.style.setProperty('--jp-aml-runs-min-width', `${minWidth}px`);
    this._header.replaceChildren(...headerCells(columns));
    this._rows.setColumns(columns);
  }

  private _viewportHeight(): number {
    // Hidden or not laid out (tests): assume a typical sidebar height.
    return this._grid.clientHeight || RunsTable.FALLBACK_VIEWPORT_HEIGHT;
  }

  private _onScroll = (): void => {
    this._render();
  };

  private _startClock(): void {
    this._stopClock();
    this._clock = window.setInterval(
      () => this._render(true),
      this._timeInterval
    );
  }

  private _stopClock(): void {
    if (this._clock !== null) {
      window.clearInterval(this._clock);
      this._clock = null;
    }
  }

  private _model: RunsModel;
  private _toolbar: RunsToolbar;
  private _rowHeight: number;
  private _overscan: number;
  private _now: () => number;
  private _timeInterval: number;
  private _clock: number | null = null;
  private _columnsKey: string | null = null;
  private _focus = 0;
  private _topIndex = 0;
  private _topRunId: string | null = null;
  private _version = -1;
  private _grid: HTMLElement;
  private _header = h('div', {
    class: 'jp-aml-runs-header',
    role: 'row',
    'aria-rowindex': '1'
  });
  private _body = h('div', { class: 'jp-aml-runs-body', role: 'rowgroup' });
  private _rows = new RunsTableRows(this._body, `jp-aml-run-${UUID.uuid4()}`);
  private _error = h('div', {
    class: 'jp-aml-banner jp-aml-error',
    role: 'alert'
  });
  private _note = h('p', { class: 'jp-aml-empty jp-aml-runs-note' });
  private _runActivated = new Signal<this, IRun>(this);
  private _selectionChanged = new Signal<this, ReadonlySet<string>>(this);
}

/**
 * The RunsTable statics.
 */
export namespace RunsTable {
  /** The height of a row in pixels (CSS reads it from `--jp-aml-runs-row-height`). */
  export const ROW_HEIGHT = 24;

  /** The viewport height assumed while the table is not laid out. */
  export const FALLBACK_VIEWPORT_HEIGHT = 480;

  /** How many rows before the end the next page starts loading. */
  export const LOAD_AHEAD = 50;

  /**
   * The options to create a table.
   */
  export interface IOptions {
    /** The model to render. */
    model: RunsModel;
    /** The row height in pixels (default 24). */
    rowHeight?: number;
    /** How many rows beyond the view are kept in the DOM on each side (default 8). */
    overscan?: number;
    /** The clock (default `Date.now`), for relative times. */
    now?: () => number;
    /** How often relative times and running durations update, in ms (default 30 s). */
    timeRefreshInterval?: number;
    /** The "Compare" button's action, when runs can be compared. */
    compare?: RunsToolbar.ICompare;
  }
}

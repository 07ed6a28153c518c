import { UUID } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';
import { ISignal } from '@lumino/signaling';

import { RunsModel } from '../runsModel';
import { h, renderIfChanged } from './dom';
import { columnLabel } from './runColumns';

/**
 * An example of MLflow's filter syntax, shown in the empty filter box.
 */
export const FILTER_PLACEHOLDER = "metrics.loss < 0.5 and params.lr = '0.01'";

/**
 * The filter box (applied on Enter, with the server's error inline), the
 * column picker (the metric and param keys of the loaded runs) and the
 * "Compare (n)" button of the runs table.
 */
export class RunsToolbar implements IDisposable {
  /**
   * Create the toolbar of `options.model`.
   */
  constructor(options: RunsToolbar.IOptions) {
    this._model = options.model;
    this._compare = options.compare ?? null;
    const errorId = `jp-aml-runs-filter-error-${UUID.uuid4()}`;
    this._filter = h('input', {
      class: 'jp-aml-runs-filter jp-mod-styled',
      type: 'search',
      placeholder: FILTER_PLACEHOLDER,
      'aria-label': 'Filter runs (MLflow search syntax, Enter applies)',
      'aria-describedby': errorId,
      title: `Filter runs with MLflow search syntax, e.g. ${FILTER_PLACEHOLDER}; Enter applies`,
      spellcheck: 'false'
    });
    this._filterError = h('div', {
      class: 'jp-aml-runs-filter-error',
      id: errorId,
      role: 'alert'
    });
    this._picker = h(
      'details',
      { class: 'jp-aml-runs-columns' },
      this._pickerSummary,
      this._pickerList
    );
    this.node = h(
      'div',
      { class: 'jp-aml-runs-toolbar' },
      h('div', { class: 'jp-aml-runs-toolbar-row' }, this._filter),
      this._filterError,
      h(
        'div',
        { class: 'jp-aml-runs-toolbar-row jp-aml-runs-toolbar-actions' },
        this._picker,
        this._compareButton
      )
    );
    this._filter.addEventListener('keydown', this._onFilterKey);
    // The search box's clear button fires `search` with an empty value.
    this._filter.addEventListener('search', this._onSearch);
    this._pickerList.addEventListener('change', this._onPick);
    this._compareButton.addEventListener('click', this._onCompare);
    this._compare?.changed?.connect(this.render, this);
  }

  /** The toolbar's element. */
  readonly node: HTMLElement;

  /** Whether the toolbar is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Show the model's filter, filter error and columns.
   */
  render(): void {
    const model = this._model;
    // Only a filter that changed in the model replaces what the user is typing.
    if (model.filter !== this._shownFilter) {
      this._shownFilter = model.filter;
      this._filter.value = model.filter;
    }
    const error = model.filterError;
    this._filterError.textContent = error ?? '';
    this._filterError.hidden = error === null;
    this._filter.setAttribute('aria-invalid', String(error !== null));

    this._renderCompare();
    const available = model.availableColumns;
    const chosen = model.columns;
    this._pickerSummary.textContent = `Columns (${chosen.length})`;
    renderIfChanged(
      this._pickerList,
      JSON.stringify([available, chosen]),
      () => {
        const groups: HTMLElement[] = [];
        for (const [title, kind, seen] of [
          ['Metrics', 'metrics.', available.metrics],
          ['Params', 'params.', available.params]
        ] as const) {
          // A chosen key the loaded runs lack stays listed, so it can be unchecked.
          const ids = [
            ...new Set([...seen, ...chosen.filter(c => c.startsWith(kind))])
          ];
          if (ids.length > 0) {
            groups.push(Private.group(title, ids, chosen));
          }
        }
        return groups.length > 0
          ? groups
          : [h('p', { class: 'jp-aml-empty' }, 'No metrics or params yet.')];
      }
    );
  }

  /**
   * Stop listening; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._filter.removeEventListener('keydown', this._onFilterKey);
    this._filter.removeEventListener('search', this._onSearch);
    this._pickerList.removeEventListener('change', this._onPick);
    this._compareButton.removeEventListener('click', this._onCompare);
    this._compare?.changed?.disconnect(this.render, this);
  }

  /**
   * The button shows the selection's size; it is enabled for two runs or more
   * while the compare view is there to take them.
   */
  private _renderCompare(): void {
    const button = this._compareButton;
    const count = this._model.selection.ids.size;
    const available = this._compare?.isAvailable() ?? false;
    button.hidden = this._compare === null;
    button.textContent = `Compare (${count})`;
    button.disabled = !available || count < 2;
    button.title = !available
      ? 'The compare view is not installed'
      : count < 2
        ? 'Select two runs or more (ctrl/shift-click) to compare them'
        : `Compare the ${count} selected runs`;
  }

  private _onCompare = (): void => {
    const model = this._model;
    const workspace = model.workspace;
    const selected = model.selection.ids;
    if (!this._compare || !workspace || selected.size < 2) {
      return;
    }
    // In the table's order, which is the order the user sees.
    const runs = model.runs
      .filter(run => selected.has(run.run_id))
      .map(run => ({ workspace, run_id: run.run_id }));
    this._compare.execute(runs);
  };

  private _onFilterKey = (event: KeyboardEvent): void => {
    if (event.key === 'Enter') {
      event.preventDefault();
      this._apply();
    } else if (event.key === 'Escape' && this._filter.value) {
      event.preventDefault();
      event.stopPropagation();
      this._filter.value = '';
      this._apply();
    }
  };

  private _onSearch = (): void => {
    if (this._filter.value === '') {
      this._apply();
    }
  };

  private _apply(): void {
    this._shownFilter = this._filter.value.trim();
    this._model.filter = this._filter.value;
  }

  private _onPick = (): void => {
    const checked = new Set(
      Array.from(
        this._pickerList.querySelectorAll<HTMLInputElement>('input:checked'),
        input => input.value
      )
    );
    // Keep the order the user built up; new picks go last.
    const kept = this._model.columns.filter(id => checked.has(id));
    const added = [...checked].filter(id => !kept.includes(id));
    this._model.columns = [...kept, ...added];
  };

  private _model: RunsModel;
  private _filter: HTMLInputElement;
  private _filterError: HTMLElement;
  private _picker: HTMLDetailsElement;
  private _pickerSummary = h('summary', {
    class: 'jp-aml-runs-columns-summary'
  });
  private _pickerList = h('div', { class: 'jp-aml-runs-columns-list' });
  private _compare: RunsToolbar.ICompare | null;
  private _compareButton = h('button', {
    class: 'jp-aml-runs-compare jp-Button jp-mod-styled jp-mod-minimal',
    type: 'button'
  });
  private _shownFilter: string | null = null;
  private _isDisposed = false;
}

/**
 * The RunsToolbar statics.
 */
export namespace RunsToolbar {
  /**
   * The options to create a toolbar.
   */
  export interface IOptions {
    /** The model whose filter and columns the toolbar sets. */
    model: RunsModel;
    /** What "Compare" does; without it the button is not shown. */
    compare?: ICompare;
  }

  /**
   * The compare view as the toolbar sees it.
   */
  export interface ICompare {
    /** Whether the compare view is there (its command is registered). */
    isAvailable(): boolean;
    /** Compare these runs. */
    execute(runs: { workspace: string; run_id: string }[]): void;
    /** Emitted when `isAvailable` may have changed. */
    changed?: ISignal<unknown, unknown>;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * A titled group of column checkboxes.
   */
  export function group(
    title: string,
    ids: readonly string[],
    chosen: readonly string[]
  ): HTMLElement {
    return h(
      'fieldset',
      { class: 'jp-aml-runs-columns-group' },
      h('legend', {}, title),
      ...ids.map(id => {
        const box = h('input', { type: 'checkbox', value: id });
        box.checked = chosen.includes(id);
        return h(
          'label',
          { class: 'jp-aml-runs-column-choice', title: id },
          box,
          h('span', {}, columnLabel(id))
        );
      })
    );
  }
}

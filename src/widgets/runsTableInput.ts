import { RunsModel } from '../runsModel';
import { IRun } from '../tokens';
import { clickMode, gridKeyCommand, moveTarget } from './gridKeys';

/**
 * What the runs grid's pointer and keys do: select runs (click, ctrl/cmd-
 * click, shift-click, the keys of `gridKeys.ts`), move the focus row, open a
 * run (double click, Enter) and sort by a column (its header button). The
 * table renders; this only listens and acts on the model's selection and sort.
 */
export class RunsTableInput {
  /**
   * Listen on the table's grid, body and header (for as long as they live:
   * the table owns them).
   */
  constructor(options: RunsTableInput.IOptions) {
    this._options = options;
    const { grid, body, header } = options;
    grid.addEventListener('keydown', this._onKeyDown);
    body.addEventListener('click', this._onClick);
    body.addEventListener('dblclick', this._onDoubleClick);
    header.addEventListener('click', this._onHeaderClick);
  }

  private _rowIndexOf(target: EventTarget | null): number {
    const row = (target as HTMLElement | null)?.closest?.('.jp-aml-runs-row');
    const id = (row as HTMLElement | null)?.dataset.runId;
    return id === undefined ? -1 : this._options.model.indexOf(id);
  }

  private _onClick = (event: MouseEvent): void => {
    const { model, grid } = this._options;
    const index = this._rowIndexOf(event.target);
    if (index >= 0) {
      this._options.setFocus(index);
      model.selection.select(model.runs[index].run_id, clickMode(event));
      grid.focus({ preventScroll: true });
      this._options.render();
    }
  };

  private _onDoubleClick = (event: MouseEvent): void => {
    const index = this._rowIndexOf(event.target);
    if (index >= 0) {
      this._options.activate(this._options.model.runs[index]);
    }
  };

  private _onHeaderClick = (event: MouseEvent): void => {
    const button = (event.target as HTMLElement).closest<HTMLElement>(
      '.jp-aml-runs-sort'
    );
    const column = button?.dataset.sort;
    if (!column) {
      return;
    }
    const model = this._options.model;
    const sort = model.sort;
    const direction =
      sort.column === column && sort.direction === 'DESC' ? 'ASC' : 'DESC';
    model.sort = { column, direction };
  };

  private _onKeyDown = (event: KeyboardEvent): void => {
    const { model, grid } = this._options;
    // Header buttons handle their own keys.
    const command = event.target === grid ? gridKeyCommand(event) : null;
    const runs = model.runs;
    const selection = model.selection;
    const focus = this._options.focus();
    const run = runs[focus];
    if (!command || (!run && command.kind !== 'clear')) {
      return;
    }
    switch (command.kind) {
      case 'move': {
        const page = this._options.pageRows();
        this._options.focusRow(
          moveTarget(command.to, focus, runs.length, page - 1)
        );
        if (command.extend) {
          selection.select(runs[this._options.focus()].run_id, command.extend);
        }
        break;
      }
      case 'select':
        selection.select(run.run_id, command.mode);
        break;
      case 'open':
        selection.select(run.run_id, 'replace');
        this._options.activate(run);
        break;
      case 'select-all':
        selection.set(runs.map(r => r.run_id));
        break;
      case 'clear':
        if (selection.ids.size === 0) {
          return; // let Escape close whatever holds the table
        }
        selection.set([]);
        break;
    }
    event.preventDefault();
    event.stopPropagation();
  };

  private _options: RunsTableInput.IOptions;
}

/**
 * The RunsTableInput statics.
 */
export namespace RunsTableInput {
  /**
   * The table's parts the input acts on.
   */
  export interface IOptions {
    /** The model whose selection and sort the input changes. */
    model: RunsModel;
    /** The focusable grid (keys). */
    grid: HTMLElement;
    /** The rows' container (clicks on rows). */
    body: HTMLElement;
    /** The header row (sort buttons). */
    header: HTMLElement;
    /** The focus row's index. */
    focus: () => number;
    /** Set the focus row without scrolling. */
    setFocus: (index: number) => void;
    /** Move the focus row and scroll it into view. */
    focusRow: (index: number) => void;
    /** How many rows a screen shows. */
    pageRows: () => number;
    /** Render the rows again. */
    render: () => void;
    /** Open a run. */
    activate: (run: IRun) => void;
  }
}

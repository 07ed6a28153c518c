import { IRun } from '../tokens';
import { createRow, fillRow, IRunColumn } from './runColumns';

/**
 * The rows of the runs grid that are in the DOM: one element per run in the
 * rendered window, reused while its run stays in view, positioned absolutely.
 */
export class RunsTableRows {
  /**
   * Keep the rows in `body`; their element ids start with `idPrefix`.
   */
  constructor(
    private readonly _body: HTMLElement,
    private readonly _idPrefix: string
  ) {}

  /** How many rows are in the DOM. */
  get size(): number {
    return this._rows.size;
  }

  /** The columns the rows show. */
  get columns(): readonly IRunColumn[] {
    return this._columns;
  }

  /**
   * The element id of the row at `index` (for `aria-activedescendant`).
   */
  elementId(index: number): string {
    return `${this._idPrefix}-${index}`;
  }

  /**
   * Show other columns: every row is rebuilt on the next `render`.
   */
  setColumns(columns: IRunColumn[]): void {
    this._columns = columns;
    this._rows.forEach(row => row.element.remove());
    this._rows.clear();
  }

  /**
   * Put the runs at `[start, end)` in the DOM and drop the others; `refill`
   * rewrites cells whose run did not change too (e.g. for relative times).
   */
  render(options: RunsTableRows.IRenderOptions): void {
    const { runs, start, end, rowHeight, selection, focus, workspace } =
      options;
    const wanted = new Map<string, number>();
    for (let i = start; i < end; i++) {
      wanted.set(runs[i].run_id, i);
    }
    for (const [id, row] of this._rows) {
      if (!wanted.has(id)) {
        row.element.remove();
        this._rows.delete(id);
      }
    }
    const added = document.createDocumentFragment();
    for (const [id, index] of wanted) {
      const run = runs[index];
      let row = this._rows.get(id);
      if (!row) {
        row = { element: createRow(this._columns), run: null, index: -1 };
        this._rows.set(id, row);
        added.append(row.element);
      }
      if (options.refill || row.run !== run) {
        fillRow(row.element, this._columns, run, options.now);
        row.run = run;
      }
      // With `data-run-id`, this names the run for context menus (compare).
      row.element.dataset.workspace = workspace;
      if (row.index !== index) {
        row.index = index;
        row.element.style.transform = `translateY(${index * rowHeight}px)`;
        row.element.setAttribute('aria-rowindex', String(index + 2));
        row.element.id = this.elementId(index);
      }
      const selected = selection.has(id);
      row.element.setAttribute('aria-selected', String(selected));
      row.element.classList.toggle('jp-mod-selected', selected);
      row.element.classList.toggle('jp-mod-focused', index === focus);
    }
    this._body.append(added);
  }

  /**
   * Whether the run is in the DOM.
   */
  has(runId: string): boolean {
    return this._rows.has(runId);
  }

  private _columns: IRunColumn[] = [];
  private _rows = new Map<string, Private.IRenderedRow>();
}

/**
 * The RunsTableRows statics.
 */
export namespace RunsTableRows {
  /**
   * What `render` draws.
   */
  export interface IRenderOptions {
    /** Every loaded run, in order. */
    runs: readonly IRun[];
    /** The first index to render. */
    start: number;
    /** One past the last index to render. */
    end: number;
    /** The row height in pixels. */
    rowHeight: number;
    /** The selected run ids. */
    selection: ReadonlySet<string>;
    /** The index of the keyboard focus row. */
    focus: number;
    /** The clock for relative times. */
    now: number;
    /** The workspace of the runs (`data-workspace` on each row). */
    workspace: string;
    /** Whether to rewrite the cells of unchanged runs too. */
    refill: boolean;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * One row in the DOM and what it shows.
   */
  export interface IRenderedRow {
    element: HTMLElement;
    run: IRun | null;
    index: number;
  }
}

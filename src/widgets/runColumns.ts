import { RunColumns, splitColumn } from '../runQuery';
import { IRun } from '../tokens';
import { h } from './dom';
import {
  formatDuration,
  formatMetric,
  relativeTime,
  runDuration
} from './relativeTime';

/**
 * What to do next when an experiment has no runs.
 */
export const EMPTY_RUNS_TEXT =
  'No runs in this experiment yet. Run `import mlflow; mlflow.log_metric("loss", 1)` in a notebook to start.';

/**
 * One column of the runs table.
 */
export interface IRunColumn {
  /** `status`, `name`, `start`, `duration`, or a `metrics.<k>` / `params.<k>` id. */
  id: string;
  /** The header text. */
  label: string;
  /** The model's sort column it sorts by, or null when it cannot sort. */
  sortColumn: string | null;
  /** The CSS grid track of the column. */
  track: string;
  /** The narrowest the column gets, in pixels. */
  minWidth: number;
  /** Fill a cell for `run` at time `now`. */
  fill(cell: HTMLElement, run: IRun, now: number): void;
}

/**
 * The label and glyph of each run status.
 */
const STATUS: Record<string, [string, string]> = {
  RUNNING: ['Running', ''],
  SCHEDULED: ['Scheduled', '○'],
  FINISHED: ['Finished', '✓'],
  FAILED: ['Failed', '✕'],
  KILLED: ['Killed', '■']
};

/**
 * A status icon with an accessible label; `data-status` carries it for styles and tests.
 */
export function statusIcon(status: string): HTMLElement {
  const [label, glyph] = STATUS[status] ?? [status || 'Unknown', '?'];
  return h(
    'span',
    {
      class: `jp-aml-status-icon jp-aml-status-icon-${status.toLowerCase()}`,
      role: 'img',
      'aria-label': label,
      title: label,
      'data-status': status
    },
    h('span', { 'aria-hidden': 'true' }, glyph)
  );
}

/**
 * The fixed columns followed by the chosen metric and param columns.
 */
export function runColumns(chosen: readonly string[]): IRunColumn[] {
  return [...FIXED_COLUMNS, ...chosen.map(valueColumn)];
}

/**
 * The label of a `metrics.<k>` / `params.<k>` column.
 */
export function columnLabel(column: string): string {
  const [, key] = splitColumn(column);
  return key;
}

/**
 * A metric or param column.
 */
function valueColumn(column: string): IRunColumn {
  const [kind, key] = splitColumn(column);
  const isMetric = kind === 'metrics';
  return {
    id: column,
    label: key,
    sortColumn: column,
    track: 'minmax(72px, 96px)',
    minWidth: 72,
    fill: (cell, run) => {
      const text = isMetric
        ? formatMetric(run.metrics[key])
        : (run.params[key] ?? '');
      cell.textContent = text;
      cell.title = isMetric ? String(run.metrics[key] ?? '') : text;
      cell.classList.toggle('jp-aml-mod-number', isMetric);
    }
  };
}

/**
 * Status, name, start and duration.
 */
const FIXED_COLUMNS: IRunColumn[] = [
  {
    id: 'status',
    label: 'Status',
    sortColumn: RunColumns.status,
    track: '24px',
    minWidth: 24,
    fill: (cell, run) => {
      if (cell.firstElementChild?.getAttribute('data-status') !== run.status) {
        cell.replaceChildren(statusIcon(run.status));
      }
    }
  },
  {
    id: 'name',
    label: 'Run',
    sortColumn: RunColumns.runName,
    track: 'minmax(96px, 1fr)',
    minWidth: 96,
    fill: (cell, run) => {
      cell.textContent = run.run_name || run.run_id;
      cell.title = `${run.run_name}\n${run.run_id}`;
    }
  },
  {
    id: 'start',
    label: 'Started',
    sortColumn: RunColumns.startTime,
    track: '88px',
    minWidth: 88,
    fill: (cell, run, now) => {
      cell.textContent = relativeTime(run.start_time, now);
      cell.title = run.start_time
        ? new Date(run.start_time).toLocaleString()
        : '';
    }
  },
  {
    id: 'duration',
    label: 'Duration',
    sortColumn: null,
    track: '76px',
    minWidth: 76,
    fill: (cell, run, now) => {
      cell.textContent = formatDuration(runDuration(run, now));
    }
  }
];

/**
 * The CSS grid track list and the narrowest total width of `columns`.
 */
export function gridTemplate(columns: readonly IRunColumn[]): {
  tracks: string;
  minWidth: number;
} {
  return {
    tracks: columns.map(c => c.track).join(' '),
    minWidth: columns.reduce((sum, c) => sum + c.minWidth, 0)
  };
}

/**
 * The header cells; sortable ones hold a button with `data-sort`.
 */
export function headerCells(columns: readonly IRunColumn[]): HTMLElement[] {
  return columns.map((column, i) => {
    const cell = h('div', {
      class: cellClass(column),
      role: 'columnheader',
      'aria-colindex': String(i + 1),
      'data-column': column.id
    });
    // The status column is narrow: its name is in the label, not the text.
    const label = column.id === 'status' ? '' : column.label;
    const title = column.id.includes('.') ? column.id : column.label;
    cell.append(
      column.sortColumn
        ? h(
            'button',
            {
              class: 'jp-aml-runs-sort',
              'data-sort': column.sortColumn,
              'aria-label': column.label,
              title: `Sort by ${title}`
            },
            label
          )
        : h('span', { title }, label)
    );
    return cell;
  });
}

/**
 * Mark the header cell of the sorted column (`aria-sort`, `data-direction`).
 */
export function markSort(
  header: HTMLElement,
  sort: { column: string; direction: 'ASC' | 'DESC' }
): void {
  const order = sort.direction === 'ASC' ? 'ascending' : 'descending';
  for (const cell of Array.from(header.children) as HTMLElement[]) {
    const button = cell.querySelector<HTMLElement>('.jp-aml-runs-sort');
    const sorted = button?.dataset.sort === sort.column;
    cell.setAttribute('aria-sort', sorted ? order : 'none');
    cell.classList.toggle('jp-mod-sorted', sorted);
    cell.dataset.direction = sorted ? sort.direction : '';
  }
}

/**
 * An empty row with one cell per column.
 */
export function createRow(columns: readonly IRunColumn[]): HTMLElement {
  const row = h('div', { class: 'jp-aml-runs-row', role: 'row' });
  for (const column of columns) {
    row.append(h('div', { class: cellClass(column), role: 'gridcell' }));
  }
  return row;
}

/**
 * Show `run` in a row made by `createRow` with the same columns.
 */
export function fillRow(
  row: HTMLElement,
  columns: readonly IRunColumn[],
  run: IRun,
  now: number
): void {
  row.dataset.runId = run.run_id;
  row.dataset.status = run.status;
  const cells = row.children;
  columns.forEach((column, i) =>
    column.fill(cells[i] as HTMLElement, run, now)
  );
}

/**
 * The class of a column's cells.
 */
function cellClass(column: IRunColumn): string {
  const name = column.id.includes('.') ? 'value' : column.id;
  return `jp-aml-runs-cell jp-aml-runs-cell-${name}`;
}

/**
 * The note under the runs grid (empty state, loading), or null for none.
 */
export function runsNote(model: {
  workspace: string | null;
  experimentIds: readonly string[];
  loaded: boolean;
  loading: boolean;
  hasMore: boolean;
  appliedFilter: string;
  runs: readonly unknown[];
}): string | null {
  if (!model.workspace) {
    return null; // the experiment picker says why (starting, signed out, …)
  }
  if (model.experimentIds.length === 0) {
    return 'Select an experiment to see its runs.';
  }
  if (!model.loaded) {
    return model.loading ? 'Loading runs…' : null;
  }
  if (model.runs.length === 0) {
    return model.appliedFilter ? 'No runs match this filter.' : EMPTY_RUNS_TEXT;
  }
  return model.loading && model.hasMore ? 'Loading more runs…' : null;
}

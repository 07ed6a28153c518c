import { Clipboard } from '@jupyterlab/apputils';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { throttleToFrame } from '../chart/uplotKit';
import { h, renderIfChanged } from '../widgets/dom';
import { Direction, directionArrow, guessDirection } from './bestDirection';
import { CompareModel } from './compareModel';
import {
  buildDiffRows,
  columnLabels,
  IDiffColumn,
  IDiffRow,
  Stat,
  STATS
} from './diff';
import { toCsv, toMarkdown } from './diffExport';
import { runColor } from './runColors';

/**
 * The runs side by side, transposed: one column per run, one row per
 * attribute, param and metric stat. "Only differences" hides rows whose
 * values are all the same; the best cell of each metric row is marked, by a
 * direction guessed from the metric's name that the ↓/↑ button switches.
 */
export class DiffTable extends Widget {
  /**
   * Create the table of `options.model`.
   */
  constructor(options: DiffTable.IOptions) {
    super();
    this.addClass('jp-aml-diff');
    this.model = options.model;
    this._onlyDifferences.addEventListener('change', () => this._render());
    for (const stat of STATS) {
      const box = h('input', {
        type: 'checkbox',
        class: 'jp-aml-diff-stat',
        'data-stat': stat
      });
      box.checked = true;
      box.addEventListener('change', () => this._render());
      this._statBoxes.set(stat, box);
    }
    const copyMarkdown = h(
      'button',
      {
        class: 'jp-Button jp-mod-styled jp-mod-reject',
        'data-copy': 'markdown'
      },
      'Copy Markdown'
    );
    const copyCsv = h(
      'button',
      { class: 'jp-Button jp-mod-styled jp-mod-reject', 'data-copy': 'csv' },
      'Copy CSV'
    );
    copyMarkdown.addEventListener('click', () => this.copy('markdown'));
    copyCsv.addEventListener('click', () => this.copy('csv'));
    const toolbar = h(
      'div',
      { class: 'jp-aml-diff-toolbar' },
      h(
        'label',
        { class: 'jp-aml-control' },
        this._onlyDifferences,
        'Only differences'
      ),
      h(
        'span',
        {
          class: 'jp-aml-diff-stats',
          role: 'group',
          'aria-label': 'Metric values shown'
        },
        ...STATS.map(stat =>
          h(
            'label',
            { class: 'jp-aml-control' },
            this._statBoxes.get(stat)!,
            stat
          )
        )
      ),
      copyMarkdown,
      copyCsv
    );
    this._table.addEventListener('click', this._onTableClick);
    this.node.append(
      toolbar,
      h('div', { class: 'jp-aml-diff-scroll' }, this._table)
    );
    this.model.changed.connect(this._schedule);
    this._render();
  }

  /** The model shown. */
  readonly model: CompareModel;

  /** Emitted with the text put on the clipboard. */
  get copied(): ISignal<this, string> {
    return this._copied;
  }

  /** Whether only rows whose values differ are shown. */
  get onlyDifferences(): boolean {
    return this._onlyDifferences.checked;
  }
  set onlyDifferences(value: boolean) {
    this._onlyDifferences.checked = value;
    this._render();
  }

  /** The direction of a metric: the user's choice, else the guess. */
  direction(key: string): Direction {
    return this._directions.get(key) ?? guessDirection(key).direction;
  }

  /** Set the direction of a metric. */
  setDirection(key: string, direction: Direction): void {
    this._directions.set(key, direction);
    this._render();
  }

  /** The run labels and rows shown now. */
  content(): { labels: string[]; rows: IDiffRow[] } {
    const columns = this._columns();
    const stats = STATS.filter(stat => this._statBoxes.get(stat)!.checked);
    const rows = buildDiffRows(columns, {
      stats,
      direction: key => this.direction(key),
      onlyDifferences: this.onlyDifferences
    });
    return { labels: columns.map(c => c.label), rows };
  }

  /**
   * Put the rows shown on the clipboard as Markdown or CSV.
   */
  copy(format: 'markdown' | 'csv'): string {
    const { labels, rows } = this.content();
    const text =
      format === 'markdown' ? toMarkdown(labels, rows) : toCsv(labels, rows);
    Clipboard.copyToSystem(text);
    this._copied.emit(text);
    return text;
  }

  /**
   * Stop showing the model; safe to call more than once.
   */
  dispose(): void {
    if (!this.isDisposed) {
      this.model.changed.disconnect(this._schedule);
      Signal.clearData(this);
      super.dispose();
    }
  }

  private _columns(): IDiffColumn[] {
    const entries = this.model.entries.filter(entry => entry.run);
    const labels = columnLabels(entries.map(entry => entry.run!));
    return entries.map((entry, i) => {
      const metrics: IDiffColumn['metrics'] = {};
      for (const key of new Set([
        ...Object.keys(entry.run!.metrics),
        ...this.model.keys
      ])) {
        metrics[key] = this.model.summary(key, entry.key);
      }
      return {
        id: entry.key,
        label: labels[i],
        workspace: entry.ref.workspace,
        run: entry.run!,
        metrics
      };
    });
  }

  private _render(): void {
    const { labels, rows } = this.content();
    const colors = this.model.entries
      .filter(entry => entry.run)
      .map(entry => runColor(entry.color));
    const focused = (document.activeElement as HTMLElement | null)?.dataset
      ?.directionKey;
    renderIfChanged(this._table, JSON.stringify([labels, colors, rows]), () => [
      Private.head(labels, colors),
      Private.body(
        rows,
        key => guessDirection(key).known || this._directions.has(key)
      )
    ]);
    if (focused) {
      this._table
        .querySelector<HTMLElement>(
          `[data-direction-key="${CSS.escape(focused)}"]`
        )
        ?.focus();
    }
    this.node.dataset.rows = String(rows.length);
    this.node.dataset.columns = String(labels.length);
  }

  private _onTableClick = (event: MouseEvent): void => {
    const button = (event.target as HTMLElement).closest<HTMLElement>(
      '[data-direction-key]'
    );
    const key = button?.dataset.directionKey;
    if (key !== undefined) {
      this.setDirection(key, this.direction(key) === 'min' ? 'max' : 'min');
    }
  };

  private _onlyDifferences = h('input', {
    type: 'checkbox',
    class: 'jp-aml-diff-only'
  });
  private _statBoxes = new Map<Stat, HTMLInputElement>();
  private _directions = new Map<string, Direction>();
  private _table = h('table', { class: 'jp-aml-diff-table' });
  private _schedule = throttleToFrame(() => {
    if (!this.isDisposed) {
      this._render();
    }
  });
  private _copied = new Signal<this, string>(this);
}

/**
 * The DiffTable statics.
 */
export namespace DiffTable {
  /**
   * The options to create a table.
   */
  export interface IOptions {
    /** The comparison shown. */
    model: CompareModel;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * The header row: the two label columns, then one column per run.
   */
  export function head(labels: string[], colors: string[]): HTMLElement {
    return h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'key'),
        h('th', { scope: 'col' }, 'value'),
        ...labels.map((label, i) => {
          const swatch = h('span', { class: 'jp-aml-run-swatch' });
          swatch.style.background = colors[i];
          return h('th', { scope: 'col', title: label }, swatch, label);
        })
      )
    );
  }

  /**
   * The rows; a metric's first row holds its direction switch.
   */
  export function body(
    rows: IDiffRow[],
    known: (key: string) => boolean
  ): HTMLElement {
    let previous = '';
    return h(
      'tbody',
      {},
      ...rows.map(row => {
        const first = row.kind !== 'metric' || row.key !== previous;
        previous = row.kind === 'metric' ? row.key : '';
        return h(
          'tr',
          {
            class: `jp-aml-diff-row jp-aml-diff-${row.kind}`,
            'data-key': row.key,
            'data-stat': row.stat ?? undefined,
            'data-differs': String(row.differs)
          },
          h(
            'th',
            { scope: 'row', class: 'jp-aml-diff-key', title: row.key },
            first ? row.key : '',
            first && row.kind === 'metric'
              ? directionButton(row, known(row.key))
              : null
          ),
          h('td', { class: 'jp-aml-diff-label' }, row.stat ?? row.kind),
          ...row.cells.map(cell =>
            h(
              'td',
              {
                class: `jp-aml-diff-cell${cell.best ? ' jp-aml-mod-best' : ''}`,
                'data-best': cell.best ? 'true' : undefined,
                'aria-label': cell.best ? `${cell.text}, best` : undefined,
                title: cell.best ? 'Best of this row' : undefined
              },
              cell.text
            )
          )
        );
      })
    );
  }

  /**
   * The ↓/↑ switch of a metric row; a `?` marks a direction guessed blind.
   */
  function directionButton(row: IDiffRow, known: boolean): HTMLElement {
    const direction = row.direction ?? 'min';
    const better = direction === 'min' ? 'Lower' : 'Higher';
    const guess = known ? '' : ' (guessed: the name does not say)';
    return h(
      'button',
      {
        class: `jp-aml-diff-direction${known ? '' : ' jp-aml-mod-unknown'}`,
        'data-direction-key': row.key,
        'data-direction': direction,
        'aria-label': `${better} is better for ${row.key}${guess}; switch`,
        title: `${better} is better${guess}. Click to switch.`
      },
      directionArrow(direction) + (known ? '' : '?')
    );
  }
}

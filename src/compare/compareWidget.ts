import { MainAreaWidget, ToolbarButton } from '@jupyterlab/apputils';
import { refreshIcon } from '@jupyterlab/ui-components';
import { PanelLayout, Widget } from '@lumino/widgets';

import { amlIcon } from '../icons';
import { h } from '../widgets/dom';
import { CompareCharts } from './compareCharts';
import { CompareModel } from './compareModel';
import { DiffTable } from './diffTable';
import { ParallelCoords } from './parallelCoords';
import { RunLegend } from './runLegend';

/**
 * What a user sees when a comparison holds no run.
 */
export const COMPARE_EMPTY_TEXT =
  'No runs to compare. Select runs in the Experiment Tracking sidebar and press Compare, or right-click a run and choose Add to Comparison.';

/**
 * Runs side by side: the legend of runs, overlaid metric charts, the diff
 * table and parallel coordinates. It renders the model and fetches nothing.
 */
export class CompareWidget extends Widget {
  /**
   * Create the view of `options.model`; the widget owns (and disposes) it.
   */
  constructor(options: CompareWidget.IOptions) {
    super();
    this.addClass('jp-aml-compare');
    this.model = options.model;
    this.legend = new RunLegend({ model: this.model });
    this.charts = new CompareCharts({ model: this.model });
    this.diff = new DiffTable({ model: this.model });
    this.parallel = new ParallelCoords({ model: this.model });
    const layout = (this.layout = new PanelLayout());
    layout.addWidget(this.legend);
    layout.addWidget(new Widget({ node: this._note }));
    for (const [title, section] of [
      ['Metrics', this.charts],
      ['Params and metrics', this.diff],
      ['Parallel coordinates', this.parallel]
    ] as const) {
      const heading = new Widget({
        node: h('h3', { class: 'jp-aml-compare-heading' }, title)
      });
      layout.addWidget(heading);
      layout.addWidget(section);
      this._sections.push(heading, section);
    }
    this.model.changed.connect(this._onChanged, this);
    this._onChanged();
  }

  /** The comparison shown. */
  readonly model: CompareModel;
  /** The runs and their colours. */
  readonly legend: RunLegend;
  /** The overlaid metric charts. */
  readonly charts: CompareCharts;
  /** The transposed params and metrics table. */
  readonly diff: DiffTable;
  /** Params → a metric. */
  readonly parallel: ParallelCoords;

  /**
   * Dispose the widget and its model; safe to call more than once.
   */
  dispose(): void {
    if (!this.isDisposed) {
      this.model.changed.disconnect(this._onChanged, this);
      super.dispose();
      this.model.dispose();
    }
  }

  private _onChanged(): void {
    const entries = this.model.entries;
    const empty = entries.length === 0;
    this._note.textContent = empty ? COMPARE_EMPTY_TEXT : '';
    this._note.hidden = !empty;
    this._sections.forEach(section => section.setHidden(empty));
    this.title.label = empty ? 'Compare' : `Compare (${entries.length})`;
    this.title.caption = entries
      .map(e => `${e.run?.run_name || e.ref.run_id} · ${e.ref.workspace}`)
      .join('\n');
    this.node.dataset.runs = String(entries.length);
    this.node.dataset.loading = String(this.model.loading);
  }

  private _note = h('p', { class: 'jp-aml-empty jp-aml-compare-note' });
  private _sections: Widget[] = [];
}

/**
 * The CompareWidget statics.
 */
export namespace CompareWidget {
  /**
   * The options to create the view.
   */
  export interface IOptions {
    /** The comparison to show; the widget disposes it. */
    model: CompareModel;
  }
}

/**
 * A main-area tab holding a `CompareWidget`, with a refresh button.
 */
export function createCompareTab(
  model: CompareModel,
  id: string
): MainAreaWidget<CompareWidget> {
  const content = new CompareWidget({ model });
  content.title.icon = amlIcon;
  const widget = new MainAreaWidget({ content });
  widget.id = id;
  widget.addClass('jp-aml-compare-tab');
  widget.toolbar.addItem(
    'refresh',
    new ToolbarButton({
      icon: refreshIcon,
      tooltip: 'Load the runs again',
      onClick: () => void model.refresh()
    })
  );
  return widget;
}

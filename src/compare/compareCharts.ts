import { Panel, PanelLayout, Widget } from '@lumino/widgets';

import { loadUPlot } from '../chart/uplotKit';
import { h } from '../widgets/dom';
import { ChartControls } from '../widgets/liveSection';
import { ChartView } from '../widgets/chartView';
import { CompareModel } from './compareModel';
import { columnLabels } from './diff';
import { ChartGroup, IOverlaySeries, OverlayChart } from './overlayChart';
import { COMPARE_MARKS, mark } from './perfMarks';
import { runColor } from './runColors';

/**
 * The overlaid metric charts of a comparison: the shared x-axis, smoothing and
 * log-y controls, then one chart per metric key with one line per shown run.
 *
 * When every chart has drawn what the model holds, it sets the performance
 * mark `COMPARE_MARKS.drawn` (the bench reads it).
 */
export class CompareCharts extends Widget {
  /**
   * Create the charts of `options.model`.
   */
  constructor(options: CompareCharts.IOptions) {
    super();
    this.addClass('jp-aml-compare-charts');
    this.model = options.model;
    this.view = options.view ?? new ChartView();
    this._grid.addClass('jp-aml-compare-chart-grid');
    const layout = (this.layout = new PanelLayout());
    layout.addWidget(new ChartControls({ view: this.view }));
    layout.addWidget(new Widget({ node: this._note }));
    layout.addWidget(this._grid);
    this.model.changed.connect(this._onChanged, this);
    this._onChanged(this.model, { runs: true, keys: [] });
    // Fetch uPlot's code while the runs load, not after.
    void loadUPlot();
  }

  /** The model drawn. */
  readonly model: CompareModel;

  /** How the charts are drawn. */
  readonly view: ChartView;

  /** The chart of a metric key, if there is one. */
  chart(key: string): OverlayChart | undefined {
    return this._charts.get(key);
  }

  /**
   * Stop drawing the model; safe to call more than once.
   */
  dispose(): void {
    if (!this.isDisposed) {
      this.model.changed.disconnect(this._onChanged, this);
      this._charts.clear();
      super.dispose();
    }
  }

  private _onChanged(_: unknown, change: CompareModel.IChange): void {
    const model = this.model;
    const keys = model.keys;
    for (const [key, chart] of this._charts) {
      if (!keys.includes(key)) {
        chart.dispose();
        this._charts.delete(key);
      }
    }
    keys.forEach((key, index) => {
      let chart = this._charts.get(key);
      const isNew = !chart;
      if (!chart) {
        chart = new OverlayChart({ key, view: this.view, group: this._group });
        chart.drawn.connect(this._onDrawn, this);
        this._charts.set(key, chart);
      }
      if (this._grid.widgets[index] !== chart) {
        this._grid.insertWidget(index, chart);
      }
      if (isNew || change.runs || change.keys.includes(key)) {
        chart.setSeries(this._seriesOf(key));
        this._waiting = true;
      }
    });
    const ready = model.entries.some(entry => entry.run);
    this._note.textContent =
      keys.length || model.loading || !ready
        ? ''
        : 'These runs have no metrics to chart.';
    this._note.hidden = this._note.textContent === '';
    this.node.dataset.charts = String(keys.length);
  }

  /**
   * The shown runs' series of a metric, in the order runs were added.
   */
  private _seriesOf(key: string): IOverlaySeries[] {
    const entries = this.model.entries.filter(entry => entry.run);
    const labels = columnLabels(entries.map(entry => entry.run!));
    const series: IOverlaySeries[] = [];
    entries.forEach((entry, i) => {
      const points = this.model.series(key, entry.key);
      if (!entry.hidden && points.length) {
        series.push({
          id: entry.key,
          label: labels[i],
          color: runColor(entry.color),
          points
        });
      }
    });
    return series;
  }

  private _onDrawn(): void {
    if (!this._waiting || this.model.loading) {
      return;
    }
    for (const chart of this._charts.values()) {
      if (!chart.isUpToDate) {
        return;
      }
    }
    this._waiting = false;
    mark(COMPARE_MARKS.drawn);
    this.node.dataset.drawn = String(++this._drawCount);
  }

  private _charts = new Map<string, OverlayChart>();
  private _group = new ChartGroup();
  private _grid = new Panel();
  private _note = h('p', { class: 'jp-aml-empty' });
  private _waiting = false;
  private _drawCount = 0;
}

/**
 * The CompareCharts statics.
 */
export namespace CompareCharts {
  /**
   * The options to create the charts.
   */
  export interface IOptions {
    /** The comparison to draw. */
    model: CompareModel;
    /** How the charts are drawn (a new default view if left out). */
    view?: ChartView;
  }
}

import { MainAreaWidget } from '@jupyterlab/apputils';
import { PanelLayout, Widget } from '@lumino/widgets';

import { IChartOptions } from '../chart/series';
import { KernelRunModel } from '../kernelRunModel';
import { amlIcon } from '../icons';
import { h } from './dom';
import { ChartControls } from './liveSection';
import { ChartView } from './chartView';
import { MetricChart } from './metricChart';

/**
 * One live metric drawn large in a main-area tab, with its own controls. It
 * follows the same model as the sidebar: the newest run of the kernel of the
 * notebook in focus.
 */
export class ChartPanel extends Widget {
  /**
   * Create the panel.
   */
  constructor(options: ChartPanel.IOptions) {
    super();
    this.addClass('jp-aml-chart-panel');
    this.key = options.key;
    this.model = options.model;
    this.view = new ChartView(options.view);
    this.node.dataset.key = this.key;
    this._chart = new MetricChart({ key: this.key, view: this.view });
    const layout = (this.layout = new PanelLayout());
    layout.addWidget(new Widget({ node: this._caption }));
    layout.addWidget(new ChartControls({ view: this.view }));
    layout.addWidget(this._chart);
    this.model.changed.connect(this._onChanged, this);
    this._onChanged(this.model, { run: true, keys: [this.key] });
  }

  /** The metric key drawn. */
  readonly key: string;

  /** The model followed. */
  readonly model: KernelRunModel;

  /** How the chart is drawn. */
  readonly view: ChartView;

  /**
   * Stop following the model; safe to call more than once.
   */
  dispose(): void {
    if (!this.isDisposed) {
      this.model.changed.disconnect(this._onChanged, this);
      super.dispose();
    }
  }

  private _onChanged(_: unknown, change: KernelRunModel.IChange): void {
    const run = this.model.run;
    if (change.run) {
      this.node.dataset.runId = run?.run_id ?? '';
      this._caption.textContent = run
        ? `${run.run_name || run.run_id} · ${run.status}`
        : 'No run: the chart follows the notebook in focus.';
      this.title.label = run
        ? `${this.key} · ${run.run_name || run.run_id}`
        : this.key;
    }
    if (change.run || change.keys.includes(this.key)) {
      this._chart.setPoints(this.model.series(this.key));
    }
  }

  private _chart: MetricChart;
  private _caption = h('div', { class: 'jp-aml-chart-panel-caption' });
}

/**
 * The ChartPanel statics.
 */
export namespace ChartPanel {
  /**
   * The options to create a panel.
   */
  export interface IOptions {
    /** The model to follow. */
    model: KernelRunModel;
    /** The metric key to draw. */
    key: string;
    /** The initial view options, e.g. the section's. */
    view?: Partial<IChartOptions>;
  }
}

/**
 * The id of the main-area tab of a metric, to find an open one again.
 */
export function chartPanelId(key: string): string {
  return `jp-aml-chart-${encodeURIComponent(key).replace(/%/g, '_')}`;
}

/**
 * A main-area tab holding a `ChartPanel`; add it with `app.shell.add(w, 'main')`.
 */
export function createChartPanel(
  options: ChartPanel.IOptions
): MainAreaWidget<ChartPanel> {
  const content = new ChartPanel(options);
  // MainAreaWidget mirrors the content's title (label, icon, caption).
  content.title.icon = amlIcon;
  content.title.caption = `Live metric ${options.key}`;
  const widget = new MainAreaWidget({ content });
  widget.id = chartPanelId(options.key);
  return widget;
}

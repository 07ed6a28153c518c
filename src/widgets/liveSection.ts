import { ISignal, Signal } from '@lumino/signaling';
import { Panel, PanelLayout, Widget } from '@lumino/widgets';

import { XMode } from '../chart/series';
import { KernelRunModel } from '../kernelRunModel';
import { h, setNote } from './dom';
import { ChartView } from './chartView';
import { MetricChart } from './metricChart';

/**
 * What to do to see live charts, when no notebook kernel can show any.
 */
export const LIVE_EMPTY_TEXT =
  'Open a notebook and run `import mlflow; mlflow.log_metric("loss", 1)` to see its metrics here live.';

/**
 * Shown when the notebook's kernel has not created a run.
 */
export const LIVE_NO_RUN_TEXT = 'This kernel has not logged a run yet.';

/**
 * The x-axis, smoothing and log-y controls of a group of charts.
 */
export class ChartControls extends Widget {
  /**
   * Create controls that edit `view`.
   */
  constructor(options: ChartControls.IOptions) {
    super();
    this._view = options.view;
    this.addClass('jp-aml-chart-controls');
    const id = Private.controlsId();
    for (const [value, label] of Private.X_MODES) {
      this._xMode.append(h('option', { value }, label));
    }
    this._xMode.addEventListener('change', () => {
      this._view.xMode = this._xMode.value as XMode;
    });
    this._smoothing.addEventListener('input', () => {
      this._view.smoothing = Number(this._smoothing.value);
    });
    this._logY.addEventListener('change', () => {
      this._view.logY = this._logY.checked;
    });
    this.node.append(
      h('label', { class: 'jp-aml-control', for: `${id}-x` }, 'X', this._xMode),
      h(
        'label',
        { class: 'jp-aml-control jp-aml-smoothing', title: 'EMA smoothing' },
        'Smooth',
        this._smoothing,
        this._smoothingValue
      ),
      h('label', { class: 'jp-aml-control' }, this._logY, 'Log y')
    );
    this._xMode.id = `${id}-x`;
    this._view.changed.connect(this._sync, this);
    this._sync();
  }

  /**
   * Stop following the view; safe to call more than once.
   */
  dispose(): void {
    if (!this.isDisposed) {
      this._view.changed.disconnect(this._sync, this);
      super.dispose();
    }
  }

  private _sync(): void {
    this._xMode.value = this._view.xMode;
    this._smoothing.value = String(this._view.smoothing);
    this._smoothingValue.textContent = this._view.smoothing.toFixed(2);
    this._logY.checked = this._view.logY;
  }

  private _view: ChartView;
  private _xMode = h('select', {
    class: 'jp-aml-x-mode jp-mod-styled',
    'aria-label': 'X axis'
  });
  private _smoothing = h('input', {
    class: 'jp-aml-smoothing-input',
    type: 'range',
    min: '0',
    max: String(ChartView.MAX_SMOOTHING),
    step: '0.01',
    'aria-label': 'Smoothing'
  });
  private _smoothingValue = h('span', { class: 'jp-aml-smoothing-value' });
  private _logY = h('input', {
    class: 'jp-aml-log-y',
    type: 'checkbox',
    'aria-label': 'Logarithmic y axis'
  });
}

/**
 * The ChartControls statics.
 */
export namespace ChartControls {
  /**
   * The options to create controls.
   */
  export interface IOptions {
    /** The view the controls edit. */
    view: ChartView;
  }
}

/**
 * The live charts of the active kernel's newest run: its name and status,
 * the chart controls, and one chart per metric. It renders the model and
 * holds no fetching code.
 */
export class LiveSection extends Widget {
  /**
   * Create the section.
   */
  constructor(options: LiveSection.IOptions) {
    super({ node: h('section', {}) });
    this.addClass('jp-aml-section');
    this.addClass('jp-aml-live-section');
    this.model = options.model;
    this.view = options.view ?? new ChartView();
    this._chartHeight = options.chartHeight ?? 120;
    this._controls = new ChartControls({ view: this.view });

    const header = new Widget({
      node: h(
        'div',
        { class: 'jp-aml-live-header' },
        h('h3', { class: 'jp-aml-section-title' }, 'Live metrics'),
        this._runName,
        this._badge,
        this._connection
      )
    });
    const note = new Widget({ node: this._note });
    this._grid.addClass('jp-aml-chart-grid');
    const layout = (this.layout = new PanelLayout());
    layout.addWidget(header);
    layout.addWidget(this._controls);
    layout.addWidget(note);
    layout.addWidget(this._grid);

    this.model.changed.connect(this._onChanged, this);
    this._onChanged(this.model, { run: true, keys: this.model.keys });
  }

  /** The model rendered. */
  readonly model: KernelRunModel;

  /** How the charts are drawn. */
  readonly view: ChartView;

  /** Emitted with a metric key when its chart's "Expand" button is pressed. */
  get expandRequested(): ISignal<this, string> {
    return this._expandRequested;
  }

  /**
   * Stop rendering the model; safe to call more than once.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.model.changed.disconnect(this._onChanged, this);
    this._charts.clear();
    Signal.clearData(this);
    super.dispose();
  }

  private _onChanged(_: unknown, change: KernelRunModel.IChange): void {
    const model = this.model;
    const runId = model.run?.run_id ?? '';
    if (runId !== this._runId) {
      this._runId = runId;
      this._charts.forEach(chart => chart.dispose());
      this._charts.clear();
    }
    this._renderHeader();
    const keys = model.keys;
    let index = 0;
    for (const key of keys) {
      let chart = this._charts.get(key);
      if (!chart) {
        chart = this._createChart(key);
        chart.setPoints(model.series(key));
      }
      if (this._grid.widgets[index] !== chart) {
        this._grid.insertWidget(index, chart);
      }
      index++;
    }
    for (const key of change.keys) {
      this._charts.get(key)?.setPoints(model.series(key));
    }
    this.node.dataset.keys = String(keys.length);
    // Controls for charts that do not exist yet would only be noise beside the empty state.
    this._controls.setHidden(keys.length === 0);
  }

  private _createChart(key: string): MetricChart {
    const chart = new MetricChart({
      key,
      view: this.view,
      height: this._chartHeight,
      expandable: true
    });
    chart.expandRequested.connect((_, k) => this._expandRequested.emit(k));
    this._charts.set(key, chart);
    return chart;
  }

  private _renderHeader(): void {
    const model = this.model;
    const run = model.run;
    this.node.dataset.runId = run?.run_id ?? '';
    this.node.dataset.status = model.status;
    this._runName.textContent = run ? run.run_name || run.run_id : '';
    this._runName.title = run
      ? `Run ${run.run_id} in experiment ${run.experiment_id} (${model.workspace})`
      : '';
    const status = run?.status ?? '';
    this._badge.textContent = status;
    this._badge.className = `jp-aml-badge jp-aml-run-status jp-aml-run-status-${status.toLowerCase()}`;
    this._badge.hidden = !run;
    // Pushed while the socket is up; polled over REST while it is down.
    const follow = model.status === 'live' ? model.followMode : 'stopped';
    this.node.dataset.follow = follow;
    const polling = follow === 'polling';
    this._connection.hidden =
      model.status !== 'live' || (model.isConnected && !polling);
    this._connection.textContent = polling ? 'polling' : 'reconnecting…';
    this._connection.title = polling
      ? 'Live updates are unavailable: the run is refreshed every few seconds'
      : 'Live updates are reconnecting; charts reload when they are back';
    const note = Private.note(model);
    setNote(this._note, note);
    this._note.hidden = note === null;
  }

  private _chartHeight: number;
  private _runId = '';
  private _charts = new Map<string, MetricChart>();
  private _grid = new Panel();
  private _controls: ChartControls;
  private _runName = h('span', { class: 'jp-aml-live-run' });
  private _badge = h('span', { class: 'jp-aml-badge jp-aml-run-status' });
  private _connection = h('span', { class: 'jp-aml-live-connection' });
  private _note = h('p', { class: 'jp-aml-empty jp-aml-live-note' });
  private _expandRequested = new Signal<this, string>(this);
}

/**
 * The LiveSection statics.
 */
export namespace LiveSection {
  /**
   * The options to create a section.
   */
  export interface IOptions {
    /** The model to render. */
    model: KernelRunModel;
    /** How the charts are drawn (a new default view if left out). */
    view?: ChartView;
    /** The height of each chart's plot in pixels (default 120). */
    chartHeight?: number;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  let controls = 0;

  /**
   * A page-unique id prefix for a set of controls.
   */
  export function controlsId(): string {
    return `jp-aml-controls-${++controls}`;
  }

  /** The x-axis choices. */
  export const X_MODES: [XMode, string][] = [
    ['step', 'Step'],
    ['wall', 'Wall time'],
    ['relative', 'Relative time']
  ];

  /**
   * The note shown instead of (or above) the charts, or null for none.
   */
  export function note(model: KernelRunModel): string | null {
    switch (model.status) {
      case 'no-notebook':
      case 'no-kernel':
        return LIVE_EMPTY_TEXT;
      case 'no-run':
        return LIVE_NO_RUN_TEXT;
      case 'loading':
        return 'Looking up the kernel’s runs…';
      case 'error':
        return model.error;
      default:
        return model.keys.length ? null : 'No metrics logged to this run yet.';
    }
  }
}

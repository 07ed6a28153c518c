import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import type uPlot from 'uplot';

import {
  chartData,
  formatDuration,
  formatValue,
  IChartData,
  IChartOptions,
  XMode
} from '../chart/series';
import {
  ChartRedraw,
  chartTheme,
  isZoomedIn,
  loadUPlot,
  metricAxes,
  uPlotClass
} from '../chart/uplotKit';
import { MetricPoint } from '../tokens';
import { h } from './dom';

/**
 * How a group of charts is drawn: the x axis, smoothing and log-y, shared by
 * the charts of a section and changed by its controls.
 */
export class ChartView implements IChartOptions {
  /**
   * Create a view, by default by step, unsmoothed, linear.
   */
  constructor(options: Partial<IChartOptions> = {}) {
    this._xMode = options.xMode ?? 'step';
    this._smoothing = ChartView.clampSmoothing(options.smoothing ?? 0);
    this._logY = options.logY ?? false;
  }

  /** Emitted when any option changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** What the x axis shows. */
  get xMode(): XMode {
    return this._xMode;
  }
  set xMode(value: XMode) {
    this._set(() => (this._xMode = value), this._xMode !== value);
  }

  /** The EMA weight, in [0, 0.99]. */
  get smoothing(): number {
    return this._smoothing;
  }
  set smoothing(value: number) {
    const clamped = ChartView.clampSmoothing(value);
    this._set(() => (this._smoothing = clamped), this._smoothing !== clamped);
  }

  /** Whether the y axis is logarithmic. */
  get logY(): boolean {
    return this._logY;
  }
  set logY(value: boolean) {
    this._set(() => (this._logY = value), this._logY !== value);
  }

  /** The options as a plain object. */
  toJSON(): IChartOptions {
    return { xMode: this._xMode, smoothing: this._smoothing, logY: this._logY };
  }

  private _set(apply: () => void, differs: boolean): void {
    if (differs) {
      apply();
      this._changed.emit();
    }
  }

  private _xMode: XMode;
  private _smoothing: number;
  private _logY: boolean;
  private _changed = new Signal<this, void>(this);
}

/**
 * The ChartView statics.
 */
export namespace ChartView {
  /** The strongest smoothing the slider offers. */
  export const MAX_SMOOTHING = 0.99;

  /**
   * A smoothing weight within [0, MAX_SMOOTHING] (0 for nonsense).
   */
  export function clampSmoothing(value: number): number {
    return Number.isFinite(value)
      ? Math.min(Math.max(value, 0), MAX_SMOOTHING)
      : 0;
  }
}

/**
 * One metric drawn with uPlot: a faint raw line, a smoothed line, hover
 * values in a legend line, drag to zoom and double-click to reset.
 *
 * New points are drawn at most once per animation frame. The element carries
 * `data-key` and `data-points` (the raw points drawn) for tests.
 */
export class MetricChart extends Widget {
  /**
   * Create a chart; give it points with `setPoints`.
   */
  constructor(options: MetricChart.IOptions) {
    super();
    this.key = options.key;
    this._view = options.view;
    this._height = options.height ?? null;
    this.addClass('jp-aml-metric-chart');
    this.node.dataset.key = this.key;
    this.node.dataset.points = '0';
    this._title.textContent = this.key;
    this._title.title = this.key;
    const expand = h('button', {
      class: 'jp-aml-chart-expand jp-Button jp-mod-minimal',
      title: `Open ${this.key} in a tab`,
      'aria-label': `Expand ${this.key}`
    });
    expand.textContent = '⤢';
    expand.hidden = !options.expandable;
    expand.addEventListener('click', () => this._expand.emit(this.key));
    this.node.append(
      h('div', { class: 'jp-aml-chart-header' }, this._title, expand),
      this._legend,
      this._plot
    );
    this._redraw = new ChartRedraw(this._plot, () => this._draw());
    this._view.changed.connect(this._schedule, this);
  }

  /** The metric key. */
  readonly key: string;

  /** Emitted with the key when the user asks for a bigger chart. */
  get expandRequested(): ISignal<this, string> {
    return this._expand;
  }

  /** The data last drawn (or about to be), for tests and the legend. */
  get data(): IChartData | null {
    return this._data;
  }

  /**
   * Draw these points on the next animation frame (the array is not copied).
   */
  setPoints(points: readonly MetricPoint[]): void {
    this._points = points;
    this._schedule();
  }

  /**
   * Release uPlot and the observers; safe to call more than once.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._redraw.dispose();
    this._view.changed.disconnect(this._schedule, this);
    this._plotter?.destroy();
    this._plotter = null;
    Signal.clearData(this);
    super.dispose();
  }

  private _schedule(): void {
    this._redraw.schedule();
  }

  private _draw(): void {
    if (this.isDisposed) {
      return;
    }
    const view = this._view.toJSON();
    const data = chartData(this._points, view);
    this._data = data;
    this.node.dataset.points = String(data.count);
    this._showLegend(null);
    const width = this._plot.clientWidth;
    const height = this._height ?? this._plot.clientHeight;
    if (width <= 0 || height <= 0) {
      return; // hidden: the resize observer draws once it is shown
    }
    const UPlot = uPlotClass();
    if (!UPlot) {
      void loadUPlot().then(() => this._schedule());
      return;
    }
    const shape = `${view.xMode}|${view.logY}|${this._redraw.styleGeneration}`;
    const columns = Private.columns(data);
    if (!this._plotter || shape !== this._shape) {
      this._plotter?.destroy();
      this._shape = shape;
      this._zoomed = false;
      this._plotter = new UPlot(
        this._options(width, height),
        columns,
        this._plot
      );
    } else {
      this._plotter.batch(() => {
        const plotter = this._plotter!;
        if (plotter.width !== width || plotter.height !== height) {
          plotter.setSize({ width, height });
        }
        plotter.setData(columns, !this._zoomed);
      });
    }
    const smoothing = view.smoothing > 0;
    const plotter = this._plotter;
    if (plotter.series[2].show !== smoothing) {
      plotter.setSeries(2, { show: smoothing });
    }
    if (plotter.series[1].alpha !== (smoothing ? 0.3 : 1)) {
      plotter.series[1].alpha = smoothing ? 0.3 : 1;
      plotter.redraw(false, false);
    }
    this._showLegend(plotter.cursor.idx ?? null);
  }

  private _options(width: number, height: number): uPlot.Options {
    const theme = chartTheme(this.node, this._legend);
    const line = theme.line;
    return {
      width,
      height,
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: true },
        points: { size: 6, fill: theme.background, stroke: line }
      },
      scales: {
        x: { time: this._view.xMode === 'wall' },
        y: { distr: this._view.logY ? 3 : 1 }
      },
      axes: metricAxes(this._view.xMode, theme),
      series: [
        {},
        { label: this.key, stroke: line, width: 1, points: { fill: line } },
        { label: 'smoothed', stroke: line, width: 2, points: { show: false } }
      ],
      hooks: {
        setCursor: [u => this._showLegend(u.cursor.idx ?? null)],
        setScale: [(u, key) => key === 'x' && this._onScale(u)]
      }
    };
  }

  /**
   * Remember whether the user zoomed in, so that new points keep the zoom.
   */
  private _onScale(u: uPlot): void {
    this._zoomed = isZoomedIn(u, this._data?.x);
  }

  /**
   * The legend line: the hovered point, or the last one.
   */
  private _showLegend(idx: number | null): void {
    const data = this._data;
    if (!data || data.x.length === 0) {
      this._legend.textContent = '';
      return;
    }
    const i = idx ?? data.x.length - 1;
    const parts = [`step ${data.steps[i]}`];
    const xMode = this._view.xMode;
    if (xMode === 'wall') {
      parts.push(new Date(data.x[i] * 1000).toLocaleTimeString());
    } else if (xMode === 'relative') {
      parts.push(formatDuration(data.x[i]));
    }
    parts.push(formatValue(data.y[i]));
    if (data.smoothed) {
      parts.push(`smoothed ${formatValue(data.smoothed[i])}`);
    }
    this._legend.textContent = parts.join(' · ');
    this._legend.classList.toggle('jp-aml-mod-hover', idx !== null);
  }

  private _view: ChartView;
  private _height: number | null;
  private _points: readonly MetricPoint[] = [];
  private _data: IChartData | null = null;
  private _plotter: uPlot | null = null;
  private _shape = '';
  private _zoomed = false;
  private _redraw: ChartRedraw;
  private _title = h('span', { class: 'jp-aml-chart-title' });
  private _legend = h('div', { class: 'jp-aml-chart-legend' });
  private _plot = h('div', { class: 'jp-aml-chart-plot' });
  private _expand = new Signal<this, string>(this);
}

/**
 * The MetricChart statics.
 */
export namespace MetricChart {
  /**
   * The options to create a chart.
   */
  export interface IOptions {
    /** The metric key. */
    key: string;
    /** The shared view options. */
    view: ChartView;
    /** The plot height in pixels; by default the plot element's CSS height. */
    height?: number;
    /** Whether to show the "Expand" button. */
    expandable?: boolean;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * The columns uPlot draws: x, raw values, smoothed values.
   */
  export function columns(data: IChartData): uPlot.AlignedData {
    return [data.x, data.y, data.smoothed ?? data.y.map(() => null)];
  }
}

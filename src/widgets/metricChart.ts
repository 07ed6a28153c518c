import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import type uPlot from 'uplot';

import {
  chartData,
  formatClock,
  formatDuration,
  formatStep,
  formatValue,
  IChartData,
  IChartOptions,
  XMode
} from '../chart/series';
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
    this._view.changed.connect(this._schedule, this);
    // jsdom has no ResizeObserver; a chart there is never drawn anyway.
    if (typeof ResizeObserver === 'function') {
      this._resize = new ResizeObserver(() => this._onResize());
      this._resize.observe(this._plot);
    }
    this._theme = new MutationObserver(() => this._restyle());
    this._theme.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
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
    Private.cancelFrame(this._frame);
    this._resize?.disconnect();
    this._theme.disconnect();
    this._view.changed.disconnect(this._schedule, this);
    this._plotter?.destroy();
    this._plotter = null;
    Signal.clearData(this);
    super.dispose();
  }

  private _schedule(): void {
    if (this._frame === null && !this.isDisposed) {
      this._frame = Private.requestFrame(() => {
        this._frame = null;
        this._draw();
      });
    }
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
    const UPlot = Private.uPlotClass();
    if (!UPlot) {
      void Private.loadUPlot().then(() => this._schedule());
      return;
    }
    const shape = `${view.xMode}|${view.logY}|${this._styleGeneration}`;
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
    const style = getComputedStyle(this.node);
    const color = (name: string) => style.getPropertyValue(name).trim();
    const line = color('--jp-brand-color1') || color('--jp-ui-font-color1');
    const text = color('--jp-ui-font-color2');
    const grid = color('--jp-border-color2');
    // uPlot sizes axis labels from a whole `NNpx` in the font; theme sizes
    // are em or calc(), so take the legend's computed size.
    const size = Math.round(
      parseFloat(getComputedStyle(this._legend).fontSize)
    );
    const font = `${size > 0 ? size : 11}px ${color('--jp-ui-font-family') || 'sans-serif'}`;
    const axis = { stroke: text, font, grid: { stroke: grid, width: 1 } };
    const ticks = { stroke: grid, width: 1, size: 4 };
    const xMode = this._view.xMode;
    return {
      width,
      height,
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: true },
        points: { size: 6, fill: color('--jp-layout-color1'), stroke: line }
      },
      scales: {
        x: { time: xMode === 'wall' },
        y: { distr: this._view.logY ? 3 : 1 }
      },
      axes: [
        {
          ...axis,
          ticks,
          size: 30,
          values: Private.xTicks(xMode)
        },
        {
          ...axis,
          ticks,
          size: 48,
          // A log axis leaves out (null) the splits it does not label.
          values: (_u: uPlot, splits: (number | null)[]) =>
            splits.map(v => (v === null ? null : formatValue(v)))
        }
      ],
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
    const x = this._data?.x;
    const { min, max } = u.scales.x;
    if (!x || !x.length || min === undefined || max === undefined) {
      this._zoomed = false;
      return;
    }
    this._zoomed = min > x[0] || max < x[x.length - 1];
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

  private _onResize(): void {
    if (this._plot.clientWidth > 0) {
      this._schedule();
    }
  }

  private _restyle(): void {
    // Theme colours are read when uPlot is built: build it again.
    this._styleGeneration++;
    this._schedule();
  }

  private _view: ChartView;
  private _height: number | null;
  private _points: readonly MetricPoint[] = [];
  private _data: IChartData | null = null;
  private _plotter: uPlot | null = null;
  private _shape = '';
  private _zoomed = false;
  private _styleGeneration = 0;
  private _frame: number | null = null;
  private _resize: ResizeObserver | null = null;
  private _theme: MutationObserver;
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
  let uPlotModule: typeof uPlot | null = null;
  let loading: Promise<void> | null = null;

  /**
   * The uPlot class once loaded, else null.
   */
  export function uPlotClass(): typeof uPlot | null {
    return uPlotModule;
  }

  /**
   * Load uPlot on first use: importing it needs `matchMedia`, which jsdom
   * lacks, and pages without charts need not load it at all.
   */
  export function loadUPlot(): Promise<void> {
    loading ??= import('uplot').then(module => {
      uPlotModule = module.default;
    });
    return loading;
  }

  /**
   * The x tick labels: steps as numbers, times on one line.
   */
  export function xTicks(
    xMode: XMode
  ): (u: uPlot, splits: number[]) => (string | number | null)[] {
    if (xMode === 'relative') {
      return (_u, splits) => splits.map(formatDuration);
    }
    if (xMode === 'wall') {
      return (u, splits) => {
        const span = (u.scales.x.max ?? 0) - (u.scales.x.min ?? 0);
        return splits.map(v => formatClock(v, span));
      };
    }
    return (_u, splits) => splits.map(formatStep);
  }

  /**
   * The columns uPlot draws: x, raw values, smoothed values.
   */
  export function columns(data: IChartData): uPlot.AlignedData {
    return [data.x, data.y, data.smoothed ?? data.y.map(() => null)];
  }

  /**
   * Run `callback` on the next animation frame (a timer where there are none).
   */
  export function requestFrame(callback: () => void): number {
    if (typeof requestAnimationFrame === 'function') {
      return requestAnimationFrame(callback);
    }
    return setTimeout(callback, 16) as unknown as number;
  }

  /**
   * Cancel a `requestFrame`.
   */
  export function cancelFrame(handle: number | null): void {
    if (handle === null) {
      return;
    }
    if (typeof cancelAnimationFrame === 'function') {
      cancelAnimationFrame(handle);
    } else {
      clearTimeout(handle);
    }
  }
}

import { ISignal, Signal } from '@lumino/signaling';
import type uPlot from 'uplot';

import {
  chartData,
  formatDuration,
  formatValue,
  IChartData
} from '../chart/series';
import { UPlotChart } from '../chart/uplotChart';
import {
  chartTheme,
  IChartTheme,
  isZoomedIn,
  metricAxes
} from '../chart/uplotKit';
import { MetricPoint } from '../tokens';
import { ChartView } from './chartView';
import { h } from './dom';

/**
 * One metric drawn with uPlot: a faint raw line, a smoothed line, hover
 * values in a legend line, drag to zoom and double-click to reset, and the
 * same from the keyboard on the focused plot (see `ChartKeyboard`).
 *
 * New points are drawn at most once per animation frame. The element carries
 * `data-key`, `data-points` (the raw points handed to uPlot, set before it has
 * painted them, on first use even before uPlot has loaded) and
 * `data-drawn-points` (the raw points uPlot has painted, set from its `draw`
 * hook) for tests and the browser bench: a figure of "points on screen"
 * (bench/browser/metricChart.js) should wait for `data-drawn-points`.
 */
export class MetricChart extends UPlotChart {
  /**
   * Create a chart; give it points with `setPoints`.
   */
  constructor(options: MetricChart.IOptions) {
    super(options.view);
    this.key = options.key;
    this._height = options.height ?? null;
    this.addClass('jp-aml-metric-chart');
    this.node.dataset.key = this.key;
    this.node.dataset.points = '0';
    this.node.dataset.drawnPoints = '0';
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
    this.keyboard.liveRegion = this._legend;
    this.node.append(
      h('div', { class: 'jp-aml-chart-header' }, this._title, expand),
      this._legend,
      this.plot
    );
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
    this.redraw.schedule();
  }

  protected draw(): void {
    const view = this.view.toJSON();
    const data = chartData(this._points, view);
    this._data = data;
    this.node.dataset.points = String(data.count);
    this.keyboard.label = Private.label(this.key, data);
    this._showLegend(null);
    const width = this.plot.clientWidth;
    const height = this._height ?? this.plot.clientHeight;
    if (width <= 0 || height <= 0) {
      return; // hidden: the resize observer draws once it is shown
    }
    const UPlot = this.uPlotOrLoad();
    if (!UPlot) {
      return;
    }
    const theme = chartTheme(this.node, this._legend);
    const columns = Private.columns(data);
    this._handedCount = data.count;
    if (
      this.needsBuild(`${view.xMode}|${view.logY}|${JSON.stringify(theme)}`)
    ) {
      this.plotter?.destroy();
      this._zoomed = false;
      this.plotter = new UPlot(
        this._options(width, height, theme),
        columns,
        this.plot
      );
    } else {
      this.plotter!.batch(() => {
        const plotter = this.plotter!;
        if (plotter.width !== width || plotter.height !== height) {
          plotter.setSize({ width, height });
        }
        plotter.setData(columns, !this._zoomed);
      });
    }
    const smoothing = view.smoothing > 0;
    const plotter = this.plotter!;
    if (plotter.series[2].show !== smoothing) {
      plotter.setSeries(2, { show: smoothing });
    }
    if (plotter.series[1].alpha !== (smoothing ? 0.3 : 1)) {
      plotter.series[1].alpha = smoothing ? 0.3 : 1;
      plotter.redraw(false, false);
    }
    this._showLegend(plotter.cursor.idx ?? null);
  }

  private _options(
    width: number,
    height: number,
    theme: IChartTheme
  ): uPlot.Options {
    const { line, background } = theme;
    const xMode = this.view.xMode;
    return {
      width,
      height,
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: true },
        points: { size: 6, fill: background, stroke: line }
      },
      scales: {
        x: { time: xMode === 'wall' },
        y: { distr: this.view.logY ? 3 : 1 }
      },
      axes: metricAxes(xMode, theme),
      plugins: [this.keyboard.plugin],
      series: [
        {},
        { label: this.key, stroke: line, width: 1, points: { fill: line } },
        { label: 'smoothed', stroke: line, width: 2, points: { show: false } }
      ],
      hooks: {
        draw: [() => this._onPainted()],
        setCursor: [u => this._showLegend(u.cursor.idx ?? null)],
        setScale: [(u, key) => key === 'x' && this._onScale(u)]
      }
    };
  }

  /**
   * uPlot has painted the points last handed to it.
   */
  private _onPainted(): void {
    this.node.dataset.drawnPoints = String(this._handedCount);
    this.painted();
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
    const xMode = this.view.xMode;
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

  private _height: number | null;
  private _points: readonly MetricPoint[] = [];
  private _data: IChartData | null = null;
  private _zoomed = false;
  private _handedCount = 0;
  private _title = h('span', { class: 'jp-aml-chart-title' });
  private _legend = h('div', { class: 'jp-aml-chart-legend' });
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

  /**
   * What the chart is, for screen readers: the metric and its last value.
   */
  export function label(key: string, data: IChartData): string {
    const last = data.x.length - 1;
    return last < 0
      ? `${key}, no points yet`
      : `${key}, last value ${formatValue(data.y[last])} at step ${data.steps[last]}`;
  }
}

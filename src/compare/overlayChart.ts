import type uPlot from 'uplot';

import { formatDuration, formatValue } from '../chart/series';
import { UPlotChart } from '../chart/uplotChart';
import {
  chartTheme,
  IChartTheme,
  isZoomedIn,
  metricAxes
} from '../chart/uplotKit';
import { MetricPoint } from '../tokens';
import { h } from '../widgets/dom';
import { ChartView } from '../widgets/chartView';
import { IOverlayData, nearestIndex, overlay } from './overlayData';

/**
 * One run's series of the metric, as the chart draws it.
 */
export interface IOverlaySeries {
  /** The run's key. */
  id: string;
  /** The run's name. */
  label: string;
  /** The run's colour. */
  color: string;
  /** Its points, ordered by (step, timestamp). */
  points: readonly MetricPoint[];
}

/**
 * Shared by the charts of one comparison: the uPlot sync key (the cursor and
 * drag-zoom move every chart at once) and the zoomed x range, so that a chart
 * built again (a run added, log-y switched) keeps the zoom.
 */
export class ChartGroup {
  /** The uPlot `cursor.sync` key. */
  readonly syncKey = `jp-aml-compare-${++ChartGroup._count}`;
  /** The zoomed x range, or null for the whole range. */
  range: [number, number] | null = null;
  private static _count = 0;
}

/**
 * One metric of several runs drawn with uPlot, one line per run in the run's
 * colour. Hovering shows every run's value at that x; dragging zooms all the
 * charts of the group, double-click resets; the keys of the focused plot do
 * the same (see `ChartKeyboard`). Drawn once per animation frame.
 *
 * The element carries `data-key`, `data-series-count` (runs drawn) and
 * `data-points` (points drawn) for tests.
 */
export class OverlayChart extends UPlotChart {
  /**
   * Create a chart; give it series with `setSeries`.
   */
  constructor(options: OverlayChart.IOptions) {
    super(options.view);
    this.key = options.key;
    this._group = options.group;
    this._height = options.height ?? 220;
    this.addClass('jp-aml-compare-chart');
    this.node.dataset.key = this.key;
    this.node.dataset.seriesCount = '0';
    this.node.dataset.points = '0';
    this.node.dataset.zoomed = 'false';
    const title = h('span', { class: 'jp-aml-chart-title', title: this.key });
    title.textContent = this.key;
    this._cursor.hidden = true;
    this.plot.classList.add('jp-aml-compare-plot');
    this.plot.append(this._cursor);
    this.node.append(
      h('div', { class: 'jp-aml-chart-header' }, title),
      this.plot
    );
  }

  /** The metric key. */
  readonly key: string;

  /** The data last drawn, or null. */
  get data(): IOverlayData | null {
    return this._data;
  }

  /** Whether the chart has drawn the series last given to it. */
  get isUpToDate(): boolean {
    return !this.redraw.isPending && this._data !== null;
  }

  /**
   * Draw these series on the next animation frame (arrays are not copied).
   */
  setSeries(series: readonly IOverlaySeries[]): void {
    this._series = series;
    this.redraw.schedule();
  }

  protected draw(): void {
    const view = this.view.toJSON();
    const data = overlay(this._series, view);
    this._data = data;
    const drawnSeries = data.counts.filter(count => count > 0).length;
    this.node.dataset.seriesCount = String(drawnSeries);
    this.node.dataset.points = String(data.counts.reduce((a, b) => a + b, 0));
    this.keyboard.label = this._label(data);
    const width = this.plot.clientWidth;
    if (width <= 0) {
      return; // hidden: the resize observer draws once it is shown
    }
    const UPlot = this.uPlotOrLoad();
    if (!UPlot) {
      return;
    }
    const theme = chartTheme(this.node, this._cursor);
    const smoothing = view.smoothing > 0;
    const columns: uPlot.AlignedData = [
      data.x,
      ...data.y.flatMap((y, i) => (smoothing ? [y, data.smoothed[i]!] : [y]))
    ];
    const shape = [
      view.xMode,
      view.logY,
      smoothing,
      JSON.stringify(theme),
      ...this._series.map(s => `${s.id}:${s.color}`)
    ].join('|');
    if (this.needsBuild(shape)) {
      this.plotter?.destroy();
      // Read first: building fires setScale with the whole range.
      const range = this._group.range;
      this.plotter = new UPlot(
        this._options(width, smoothing, theme),
        columns,
        this.plot
      );
      if (range) {
        this.plotter.setScale('x', { min: range[0], max: range[1] });
      }
      // Which theme's colours it was built with, for tests and screenshots.
      this.node.dataset.theme = document.body.dataset.jpThemeName ?? '';
    } else {
      this.plotter!.batch(() => {
        const plotter = this.plotter!;
        if (plotter.width !== width) {
          plotter.setSize({ width, height: this._height });
        }
        plotter.setData(columns, this._group.range === null);
      });
    }
  }

  private _options(
    width: number,
    smoothing: boolean,
    theme: IChartTheme
  ): uPlot.Options {
    const series: uPlot.Series[] = [{}];
    for (const s of this._series) {
      series.push({
        label: s.label,
        stroke: s.color,
        width: smoothing ? 1 : 1.5,
        alpha: smoothing ? 0.25 : 1,
        spanGaps: true,
        points: { show: false }
      });
      if (smoothing) {
        series.push({
          label: `${s.label} (smoothed)`,
          stroke: s.color,
          width: 2,
          spanGaps: true,
          points: { show: false }
        });
      }
    }
    return {
      width,
      height: this._height,
      legend: { show: false },
      cursor: {
        sync: {
          key: this._group.syncKey,
          setSeries: false,
          scales: ['x', null]
        },
        drag: { x: true, y: false, setScale: true },
        points: { show: false }
      },
      scales: {
        x: { time: this.view.xMode === 'wall' },
        y: { distr: this.view.logY ? 3 : 1 }
      },
      axes: metricAxes(this.view.xMode, theme),
      plugins: [this.keyboard.plugin],
      series,
      hooks: {
        draw: [() => this.painted()],
        setCursor: [u => this._showCursor(u)],
        setScale: [(u, key) => key === 'x' && this._onScale(u)]
      }
    };
  }

  /**
   * What the chart is, for screen readers: the metric and each run's last value.
   */
  private _label(data: IOverlayData): string {
    const runs = data.series.flatMap((own, i) => {
      const last = own.y.length - 1;
      return last < 0
        ? []
        : [`${this._series[i].label} ${formatValue(own.y[last])}`];
    });
    const shown = runs.slice(0, OverlayChart.MAX_CURSOR_ROWS);
    const more = runs.length - shown.length;
    return `${this.key}, last values: ${shown.join(', ') || 'none'}${
      more > 0 ? `, ${more} more` : ''
    }`;
  }

  /**
   * Remember a zoom (the user's, or another chart's through the sync) for the
   * whole group.
   */
  private _onScale(u: uPlot): void {
    const zoomed = isZoomedIn(u, this._data?.x);
    const { min, max } = u.scales.x;
    this.node.dataset.zoomed = String(zoomed);
    if (min !== undefined && max !== undefined) {
      this._group.range = zoomed ? [min, max] : null;
    }
  }

  /**
   * Every run's value at the cursor's x: the nearest point of each run whose
   * range covers that x, highest value first.
   */
  private _showCursor(u: uPlot): void {
    const data = this._data;
    const left = u.cursor.left ?? -1;
    if (!data || left < 0) {
      this._cursor.hidden = true;
      return;
    }
    const x = u.posToVal(left, 'x');
    const rows: {
      series: IOverlaySeries;
      value: number | null;
      step: number;
    }[] = [];
    data.series.forEach((own, i) => {
      const idx = nearestIndex(own.x, x);
      if (idx === null || x < own.x[0] || x > own.x[own.x.length - 1]) {
        return;
      }
      const value = own.smoothed ? own.smoothed[idx] : own.y[idx];
      rows.push({ series: this._series[i], value, step: own.steps[idx] });
    });
    if (rows.length === 0) {
      this._cursor.hidden = true;
      return;
    }
    rows.sort((a, b) => (b.value ?? -Infinity) - (a.value ?? -Infinity));
    const shown = rows.slice(0, OverlayChart.MAX_CURSOR_ROWS);
    const xMode = this.view.xMode;
    const heading =
      xMode === 'step'
        ? `step ${Math.round(x)}`
        : xMode === 'wall'
          ? new Date(x * 1000).toLocaleString()
          : formatDuration(x);
    const more = rows.length - shown.length;
    this._cursor.replaceChildren(
      h('div', { class: 'jp-aml-compare-cursor-x' }, heading),
      ...shown.map(row => {
        const swatch = h('span', { class: 'jp-aml-run-swatch' });
        swatch.style.background = row.series.color;
        const step = xMode === 'step' ? '' : ` · step ${row.step}`;
        return h(
          'div',
          { class: 'jp-aml-compare-cursor-row', 'data-run': row.series.id },
          swatch,
          h('span', { class: 'jp-aml-compare-cursor-name' }, row.series.label),
          h(
            'span',
            { class: 'jp-aml-compare-cursor-value' },
            formatValue(row.value) + step
          )
        );
      }),
      ...(more > 0
        ? [h('div', { class: 'jp-aml-compare-cursor-more' }, `+${more} more`)]
        : [])
    );
    this._cursor.hidden = false;
    // Keep the box on the side away from the cursor.
    const right = left > u.over.clientWidth / 2;
    this._cursor.classList.toggle('jp-mod-left', right);
  }

  private _group: ChartGroup;
  private _height: number;
  private _series: readonly IOverlaySeries[] = [];
  private _data: IOverlayData | null = null;
  private _cursor = h('div', {
    class: 'jp-aml-compare-cursor',
    role: 'status'
  });
}

/**
 * The OverlayChart statics.
 */
export namespace OverlayChart {
  /** The most runs the cursor box lists. */
  export const MAX_CURSOR_ROWS = 12;

  /**
   * The options to create a chart.
   */
  export interface IOptions {
    /** The metric key. */
    key: string;
    /** The shared x axis, smoothing and log-y. */
    view: ChartView;
    /** The group the chart's cursor and zoom are synced with. */
    group: ChartGroup;
    /** The plot height in pixels (default 220). */
    height?: number;
  }
}

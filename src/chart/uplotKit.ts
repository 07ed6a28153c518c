/**
 * What every uPlot chart of the extension shares: loading uPlot on first use,
 * theme colours and fonts, the axes, and drawing once per animation frame.
 */

import type uPlot from 'uplot';

import {
  formatClock,
  formatDuration,
  formatStep,
  formatValue,
  XMode
} from './series';

/**
 * Theme colours and the font a chart is built with.
 */
export interface IChartTheme {
  /** The default line colour (the brand colour). */
  line: string;
  /** Axis labels. */
  text: string;
  /** Grid lines and ticks. */
  grid: string;
  /** The plot background, for hover points. */
  background: string;
  /** A CSS font with a whole pixel size, as uPlot's axes need. */
  font: string;
}

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
 * The theme's chart colours, read from `node`, and a font sized like
 * `fontSource`'s text (theme sizes are em or calc(), uPlot wants `NNpx`).
 */
export function chartTheme(
  node: HTMLElement,
  fontSource: HTMLElement
): IChartTheme {
  const style = getComputedStyle(node);
  const color = (name: string) => style.getPropertyValue(name).trim();
  const size = Math.round(parseFloat(getComputedStyle(fontSource).fontSize));
  return {
    line: color('--jp-brand-color1') || color('--jp-ui-font-color1'),
    text: color('--jp-ui-font-color2'),
    grid: color('--jp-border-color2'),
    background: color('--jp-layout-color1'),
    font: `${size > 0 ? size : 11}px ${color('--jp-ui-font-family') || 'sans-serif'}`
  };
}

/**
 * The x and y axes of a metric chart in the theme's colours.
 */
export function metricAxes(xMode: XMode, theme: IChartTheme): uPlot.Axis[] {
  const axis = {
    stroke: theme.text,
    font: theme.font,
    grid: { stroke: theme.grid, width: 1 },
    ticks: { stroke: theme.grid, width: 1, size: 4 }
  };
  return [
    { ...axis, size: 30, values: xTicks(xMode) },
    {
      ...axis,
      size: 48,
      // A log axis leaves out (null) the splits it does not label.
      values: (_u: uPlot, splits: (number | null)[]) =>
        splits.map(v => (v === null ? null : formatValue(v)))
    }
  ];
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
 * Whether the x scale shows less than `x`'s whole range (the user zoomed in).
 */
export function isZoomedIn(
  u: uPlot,
  x: ArrayLike<number> | undefined
): boolean {
  const { min, max } = u.scales.x;
  if (!x || !x.length || min === undefined || max === undefined) {
    return false;
  }
  return min > x[0] || max < x[x.length - 1];
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
 * A function that runs `callback` on the next animation frame, once however
 * often it is called before then.
 */
export function throttleToFrame(callback: () => void): () => void {
  let pending = false;
  return () => {
    if (!pending) {
      pending = true;
      requestFrame(() => {
        pending = false;
        callback();
      });
    }
  };
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

/**
 * When a chart draws: at most once per animation frame after `schedule()`,
 * when its plot element is resized, and when the theme changes (the chart
 * then compares the theme's colours with those uPlot was built with).
 */
export class ChartRedraw {
  /**
   * Watch `plot` and the theme; `draw` runs on the frame after a change.
   */
  constructor(plot: HTMLElement, draw: () => void) {
    this._draw = draw;
    // jsdom has no ResizeObserver; a chart there is never drawn anyway.
    if (typeof ResizeObserver === 'function') {
      this._resize = new ResizeObserver(() => {
        if (plot.clientWidth > 0) {
          this.schedule();
        }
      });
      this._resize.observe(plot);
    }
    this._theme = new MutationObserver(() => this.schedule());
    this._theme.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-name', 'data-jp-theme-light']
    });
  }

  /** Whether a draw is scheduled. */
  get isPending(): boolean {
    return this._frame !== null;
  }

  /**
   * Draw on the next animation frame (once, however often it is called).
   */
  schedule = (): void => {
    if (this._frame === null && !this._isDisposed) {
      this._frame = requestFrame(() => {
        this._frame = null;
        this._draw();
      });
    }
  };

  /**
   * Stop watching and cancel a scheduled draw; safe to call more than once.
   */
  dispose(): void {
    this._isDisposed = true;
    cancelFrame(this._frame);
    this._frame = null;
    this._resize?.disconnect();
    this._theme.disconnect();
  }

  private _draw: () => void;
  private _frame: number | null = null;
  private _resize: ResizeObserver | null = null;
  private _theme: MutationObserver;
  private _isDisposed = false;
}

/**
 * Keyboard access to the uPlot charts. Each chart's plot is focusable and
 * takes these keys:
 *
 * | key                     | what it does                                      |
 * |-------------------------|---------------------------------------------------|
 * | ArrowLeft / ArrowRight  | move the cursor to the previous / next point      |
 * | Home / End              | move the cursor to the first / last point         |
 * | + or =                  | zoom in on x, around the cursor (or the middle)   |
 * | -                       | zoom out on x                                     |
 * | 0 or Escape             | show the whole x range again                      |
 *
 * The cursor is uPlot's own, so the hover values show as with the mouse, and
 * charts synced with the chart (a comparison's) follow its cursor and zoom.
 * The cursor pans a zoomed chart to stay in view.
 */

import { IDisposable } from '@lumino/disposable';
import type uPlot from 'uplot';

import { uPlotClass } from './uplotKit';

/**
 * What a key does on a chart.
 */
export type ChartKeyCommand =
  | { kind: 'move'; to: ChartMove }
  | { kind: 'zoom'; factor: number }
  | { kind: 'reset' };

/**
 * Where a cursor move goes.
 */
export type ChartMove = 'previous' | 'next' | 'first' | 'last';

/**
 * An x range, [min, max].
 */
export type XRange = readonly [number, number];

/**
 * The command of a key press on a chart, or null when the key is not the
 * chart's (keys with Ctrl, Alt or Meta are left to the browser and JupyterLab).
 */
export function chartKeyCommand(
  event: Pick<KeyboardEvent, 'key' | 'altKey' | 'ctrlKey' | 'metaKey'>
): ChartKeyCommand | null {
  if (event.altKey || event.ctrlKey || event.metaKey) {
    return null;
  }
  switch (event.key) {
    case 'ArrowLeft':
      return { kind: 'move', to: 'previous' };
    case 'ArrowRight':
      return { kind: 'move', to: 'next' };
    case 'Home':
      return { kind: 'move', to: 'first' };
    case 'End':
      return { kind: 'move', to: 'last' };
    case '+':
    case '=':
      return { kind: 'zoom', factor: ChartKeyboard.ZOOM_FACTOR };
    case '-':
      return { kind: 'zoom', factor: 1 / ChartKeyboard.ZOOM_FACTOR };
    case '0':
    case 'Escape':
      return { kind: 'reset' };
    default:
      return null;
  }
}

/**
 * The point a move lands on among `count` points, from `current` (null when
 * no point is under the cursor: the first step right is the first point, the
 * first step left the last one); null when there are no points.
 */
export function cursorTarget(
  to: ChartMove,
  current: number | null,
  count: number
): number | null {
  if (count <= 0) {
    return null;
  }
  const last = count - 1;
  switch (to) {
    case 'first':
      return 0;
    case 'last':
      return last;
    case 'next':
      return current === null ? 0 : Math.min(current + 1, last);
    case 'previous':
      return current === null ? last : Math.max(current - 1, 0);
  }
}

/**
 * `range` zoomed by `factor` (under 1 zooms in) around `center`, which keeps
 * its place on screen; no narrower than `minWidth`, and within `full`.
 */
export function zoomedRange(
  range: XRange,
  full: XRange,
  center: number,
  factor: number,
  minWidth: number
): XRange {
  const fullWidth = full[1] - full[0];
  const width = range[1] - range[0];
  if (!(fullWidth > 0) || !(width > 0)) {
    return full;
  }
  const target = Math.min(
    Math.max(width * factor, Math.min(minWidth, fullWidth)),
    fullWidth
  );
  const anchor = Math.min(Math.max(center, range[0]), range[1]);
  const min = anchor - ((anchor - range[0]) / width) * target;
  return within([min, min + target], full);
}

/**
 * `range`, moved as little as it takes to show `x` (and kept within `full`).
 */
export function rangeShowing(range: XRange, full: XRange, x: number): XRange {
  if (x >= range[0] && x <= range[1]) {
    return range;
  }
  const width = range[1] - range[0];
  return within(x < range[0] ? [x, x + width] : [x - width, x], full);
}

/**
 * `range` moved inside `full`, its width kept (at most `full`'s).
 */
function within(range: XRange, full: XRange): XRange {
  const width = Math.min(range[1] - range[0], full[1] - full[0]);
  const min = Math.min(Math.max(range[0], full[0]), full[1] - width);
  return [min, min + width];
}

/**
 * Move uPlot's cursor and tell the charts synced with it, as a mouse move
 * does (`setCursor`'s third argument, which uPlot's types leave out).
 */
function publishCursor(u: uPlot, left: number, top: number): void {
  const setCursor = u.setCursor as (
    opts: { left: number; top: number },
    fireHook?: boolean,
    publish?: boolean
  ) => void;
  setCursor({ left, top }, true, true);
}

/**
 * Makes a chart's plot element focusable and operable from the keyboard, and
 * keeps `data-x-min` / `data-x-max` on it (the x range shown, for tests).
 * Give `plugin` to uPlot when building the chart.
 */
export class ChartKeyboard implements IDisposable {
  /**
   * Make `options.host` focusable; keys act on `options.plotter()`.
   */
  constructor(options: ChartKeyboard.IOptions) {
    this._host = options.host;
    this._plotter = options.plotter;
    const host = this._host;
    host.tabIndex = 0;
    // Screen readers pass the arrow keys on to an application, not to a figure.
    host.setAttribute('role', 'application');
    host.setAttribute('aria-roledescription', 'chart');
    host.setAttribute('aria-keyshortcuts', ChartKeyboard.SHORTCUTS);
    host.addEventListener('keydown', this);
    host.addEventListener('focus', this);
    host.addEventListener('blur', this);
  }

  /** Hand to uPlot's `plugins`: it reports the x range shown on the host. */
  readonly plugin: uPlot.Plugin = {
    hooks: {
      setScale: (u: uPlot, key: string) => {
        const { min, max } = u.scales.x;
        if (key === 'x' && min !== undefined && max !== undefined) {
          this._host.dataset.xMin = String(min);
          this._host.dataset.xMax = String(max);
        }
      }
    }
  };

  /** What the chart shows, read out when it takes the focus. */
  set label(text: string) {
    this._host.setAttribute('aria-label', text);
  }

  /** An element showing the hover values, announced while the chart has the focus. */
  set liveRegion(node: HTMLElement | null) {
    this._liveRegion = node;
  }

  /** Whether it is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Handle the host's DOM events.
   */
  handleEvent(event: Event): void {
    switch (event.type) {
      case 'keydown':
        this._onKeyDown(event as KeyboardEvent);
        break;
      case 'focus':
        this._liveRegion?.setAttribute('aria-live', 'polite');
        break;
      case 'blur':
        this._liveRegion?.removeAttribute('aria-live');
        this._hideCursor();
        break;
    }
  }

  /**
   * Stop listening; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._host.removeEventListener('keydown', this);
    this._host.removeEventListener('focus', this);
    this._host.removeEventListener('blur', this);
    this._placed = null;
  }

  private _onKeyDown(event: KeyboardEvent): void {
    const command = chartKeyCommand(event);
    const u = this._plotter();
    const x = u?.data[0];
    if (!command || !u || !x || x.length === 0) {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    const full: XRange = [x[0], x[x.length - 1]];
    if (command.kind === 'move') {
      const index = cursorTarget(command.to, this._current(u), x.length);
      if (index !== null) {
        const range = this._range(u);
        const shown = rangeShowing(range, full, x[index]);
        // Only a pan moves the x range (of the synced charts too).
        if (shown[0] !== range[0] || shown[1] !== range[1]) {
          this._setRange(u, shown);
        }
        this._place(u, index);
      }
      return;
    }
    const current = this._current(u);
    if (command.kind === 'reset') {
      this._setRange(u, null);
    } else {
      const range = this._range(u);
      const center = current === null ? (range[0] + range[1]) / 2 : x[current];
      // At least two gaps between points in view.
      const minWidth = (2 * (full[1] - full[0])) / Math.max(x.length - 1, 1);
      this._setRange(
        u,
        zoomedRange(range, full, center, command.factor, minWidth)
      );
    }
    if (current !== null) {
      this._place(u, current); // the point moved on screen: the cursor follows
    }
  }

  /**
   * The point under the cursor: uPlot's, or the one the keyboard put it on
   * when both share an x (a step logged twice).
   */
  private _current(u: uPlot): number | null {
    const shown = u.cursor.idx ?? null;
    const placed = this._placed;
    const x = u.data[0];
    if (
      shown !== null &&
      placed?.plotter === u &&
      x[shown] === x[placed.index]
    ) {
      return placed.index;
    }
    return shown;
  }

  /**
   * Put uPlot's cursor on a point, telling the charts synced with it.
   */
  private _place(u: uPlot, index: number): void {
    const left = u.valToPos(u.data[0][index], 'x');
    let top = u.over.clientHeight / 2;
    for (let s = 1; s < u.series.length; s++) {
      const value = u.data[s]?.[index];
      if (u.series[s].show !== false && typeof value === 'number') {
        top = u.valToPos(value, u.series[s].scale ?? 'y');
        break;
      }
    }
    publishCursor(u, left, top);
    this._placed = { plotter: u, index };
  }

  /**
   * Hide a cursor the keyboard placed, in this chart and its synced ones.
   */
  private _hideCursor(): void {
    const u = this._plotter();
    if (u && this._placed?.plotter === u) {
      publishCursor(u, -10, -10); // off the plot: hidden
    }
    this._placed = null;
  }

  /** The x range shown. */
  private _range(u: uPlot): XRange {
    const x = u.data[0];
    return [u.scales.x.min ?? x[0], u.scales.x.max ?? x[x.length - 1]];
  }

  /**
   * Show `range` of x (null: each chart's whole range) on the chart and the
   * charts synced with it, as a drag-zoom or a double click does.
   */
  private _setRange(u: uPlot, range: XRange | null): void {
    const key = u.cursor.sync?.key;
    const plots = key ? (uPlotClass()?.sync(key).plots ?? [u]) : [u];
    for (const plot of plots) {
      const x = plot.data[0];
      if (!x?.length) {
        continue;
      }
      const [min, max] = range ?? [x[0], x[x.length - 1]];
      plot.setScale('x', { min, max });
    }
  }

  private _host: HTMLElement;
  private _plotter: () => uPlot | null;
  private _liveRegion: HTMLElement | null = null;
  private _placed: { plotter: uPlot; index: number } | null = null;
  private _isDisposed = false;
}

/**
 * The ChartKeyboard statics.
 */
export namespace ChartKeyboard {
  /** How much one + narrows the x range (one - widens it as much). */
  export const ZOOM_FACTOR = 0.5;

  /** The keys, as `aria-keyshortcuts` lists them. */
  export const SHORTCUTS = 'ArrowLeft ArrowRight Home End + = - 0 Escape';

  /**
   * The options to make a chart operable from the keyboard.
   */
  export interface IOptions {
    /** The plot element, which takes the focus. */
    host: HTMLElement;
    /** The chart's uPlot, or null while it has none. */
    plotter: () => uPlot | null;
  }
}

import { ISignal, Signal } from '@lumino/signaling';

import { IChartOptions, XMode } from '../chart/series';

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

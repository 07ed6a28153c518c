import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';
import type uPlot from 'uplot';

import { ChartView } from '../widgets/chartView';
import { h } from '../widgets/dom';
import { ChartKeyboard } from './chartKeys';
import { ChartRedraw, loadUPlot, uPlotClass } from './uplotKit';

/**
 * The widget part every uPlot chart of the extension shares: a plot element,
 * drawing once per animation frame after a change of its data, its view, its
 * size or the theme, building uPlot again when what uPlot bakes in at build
 * (x mode, log-y, theme colours...) differs, keys on the focused plot (see
 * `ChartKeyboard`), and releasing it on dispose.
 */
export abstract class UPlotChart extends Widget {
  /**
   * Create the chart for `view`; subclasses place `plot` in their node.
   */
  constructor(view: ChartView) {
    super();
    this.view = view;
    this.redraw = new ChartRedraw(this.plot, () => {
      if (!this.isDisposed) {
        this.draw();
      }
    });
    this.view.changed.connect(this.redraw.schedule);
    this.keyboard = new ChartKeyboard({
      host: this.plot,
      plotter: () => this.plotter
    });
  }

  /** Emitted each time uPlot has painted the canvas. */
  get drawn(): ISignal<this, void> {
    return this._drawn;
  }

  /**
   * Release uPlot and the observers; safe to call more than once.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.redraw.dispose();
    this.keyboard.dispose();
    this.view.changed.disconnect(this.redraw.schedule);
    this.plotter?.destroy();
    this.plotter = null;
    Signal.clearData(this);
    super.dispose();
  }

  /**
   * Draw now (called at most once per animation frame by `redraw`).
   */
  protected abstract draw(): void;

  /**
   * The uPlot class, or null while it loads (the chart draws again once it
   * has loaded).
   */
  protected uPlotOrLoad(): typeof uPlot | null {
    const UPlot = uPlotClass();
    if (!UPlot) {
      void loadUPlot().then(() => this.redraw.schedule());
    }
    return UPlot;
  }

  /**
   * Whether uPlot must be built (again): none is built yet, or `shape` (what
   * it bakes in at build) or the theme's name differ from the last build.
   * Theme colours belong in the shape: a theme's CSS may arrive before or
   * after its name is set on the body, and either must rebuild the chart.
   */
  protected needsBuild(shape: string): boolean {
    const full = `${shape}|${document.body.dataset.jpThemeName ?? ''}`;
    if (this.plotter && full === this._shape) {
      return false;
    }
    this._shape = full;
    return true;
  }

  /**
   * Call from uPlot's `draw` hook: uPlot paints the canvas a microtask after
   * it is built or given data, so this is when the user can see the data.
   */
  protected painted(): void {
    this._drawn.emit();
  }

  /**
   * Draw what was put off while hidden (JupyterLab hides and shows the shell
   * around a theme switch).
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.redraw.schedule();
  }

  /** How the chart is drawn: x mode, smoothing, log-y. */
  protected readonly view: ChartView;
  /** The element uPlot draws in (its size is the chart's). */
  protected readonly plot = h('div', { class: 'jp-aml-chart-plot' });
  /** Schedules `draw`. */
  protected readonly redraw: ChartRedraw;
  /** The keys of the focused plot; its `plugin` goes into uPlot's options. */
  protected readonly keyboard: ChartKeyboard;
  /** The uPlot instance, once built. */
  protected plotter: uPlot | null = null;
  private _shape = '';
  private _drawn = new Signal<this, void>(this);
}

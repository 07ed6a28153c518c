import { Widget } from '@lumino/widgets';

import { throttleToFrame } from '../chart/uplotKit';
import { h, renderIfChanged } from '../widgets/dom';
import { guessDirection } from './bestDirection';
import { CompareModel } from './compareModel';
import { columnLabels, Stat, statValue, STATS } from './diff';
import { IAxis, IParallelRun, parallelAxes } from './parallelAxes';
import { runColor } from './runColors';

/**
 * Params → one chosen metric as parallel coordinates, in a small SVG: one
 * vertical axis per param that varies, the metric last, one line per shown
 * run in its colour.
 */
export class ParallelCoords extends Widget {
  /**
   * Create the plot of `options.model`.
   */
  constructor(options: ParallelCoords.IOptions) {
    super();
    this.addClass('jp-aml-parallel');
    this.model = options.model;
    for (const stat of STATS) {
      this._stat.append(h('option', { value: stat }, stat));
    }
    this._metric.addEventListener('change', () => this._render());
    this._stat.addEventListener('change', () => this._render());
    this.node.append(
      h(
        'div',
        { class: 'jp-aml-parallel-controls' },
        h('label', { class: 'jp-aml-control' }, 'Metric', this._metric),
        h('label', { class: 'jp-aml-control' }, 'Value', this._stat)
      ),
      this._plot
    );
    this.model.changed.connect(this._schedule);
    this._render();
  }

  /** The model shown. */
  readonly model: CompareModel;

  /** The metric on the last axis. */
  get metric(): string {
    return this._metric.value;
  }
  set metric(value: string) {
    this._metric.value = value;
    this._render();
  }

  /**
   * Stop showing the model; safe to call more than once.
   */
  dispose(): void {
    if (!this.isDisposed) {
      this.model.changed.disconnect(this._schedule);
      super.dispose();
    }
  }

  private _render(): void {
    const keys = this.model.entries.flatMap(e =>
      Object.keys(e.run?.metrics ?? {})
    );
    const metrics = [...new Set([...keys, ...this.model.keys])].sort();
    const chosen = metrics.includes(this._metric.value)
      ? this._metric.value
      : (metrics[0] ?? '');
    renderIfChanged(this._metric, JSON.stringify(metrics), () =>
      metrics.map(key => h('option', { value: key }, key))
    );
    this._metric.value = chosen;
    const runs = this._runs(chosen, this._stat.value as Stat);
    this.node.dataset.metric = chosen;
    this.node.dataset.lines = String(runs.length);
    if (!chosen || runs.length === 0) {
      this._plot.replaceChildren(
        h('p', { class: 'jp-aml-empty' }, 'No runs with metrics to plot.')
      );
      return;
    }
    this._plot.replaceChildren(Private.svg(parallelAxes(runs, chosen), runs));
  }

  private _runs(metric: string, stat: Stat): IParallelRun[] {
    const entries = this.model.entries.filter(entry => entry.run);
    const labels = columnLabels(entries.map(entry => entry.run!));
    const direction = guessDirection(metric).direction;
    return entries.flatMap((entry, i) =>
      entry.hidden
        ? []
        : [
            {
              id: entry.key,
              label: labels[i],
              color: runColor(entry.color),
              params: entry.run!.params,
              value: statValue(
                this.model.summary(metric, entry.key),
                stat,
                direction
              )
            }
          ]
    );
  }

  private _metric = h('select', {
    class: 'jp-aml-parallel-metric jp-mod-styled',
    'aria-label': 'Metric'
  });
  private _stat = h('select', {
    class: 'jp-aml-parallel-stat jp-mod-styled',
    'aria-label': 'Metric value'
  });
  private _plot = h('div', { class: 'jp-aml-parallel-plot' });
  private _schedule = throttleToFrame(() => {
    if (!this.isDisposed) {
      this._render();
    }
  });
}

/**
 * The ParallelCoords statics.
 */
export namespace ParallelCoords {
  /**
   * The options to create the plot.
   */
  export interface IOptions {
    /** The comparison shown. */
    model: CompareModel;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  const SVG = 'http://www.w3.org/2000/svg';
  const AXIS_GAP = 120;
  const HEIGHT = 260;
  const TOP = 40;
  const BOTTOM = 16;
  const SIDE = 60;

  function el(
    tag: string,
    attributes: Record<string, string | number>,
    ...children: (Node | string)[]
  ): SVGElement {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) {
      node.setAttribute(name, String(value));
    }
    node.append(...children);
    return node;
  }

  /**
   * The plot: axes with their ticks, then one path per run.
   */
  export function svg(axes: IAxis[], runs: IParallelRun[]): SVGElement {
    const width = SIDE * 2 + AXIS_GAP * Math.max(axes.length - 1, 1);
    const x = (i: number) => SIDE + i * AXIS_GAP;
    const y = (p: number) => TOP + (1 - p) * (HEIGHT - TOP - BOTTOM);
    const root = el('svg', {
      class: 'jp-aml-parallel-svg',
      viewBox: `0 0 ${width} ${HEIGHT}`,
      width,
      height: HEIGHT,
      role: 'img',
      'aria-label': `Parallel coordinates of ${axes.map(a => a.key).join(', ')}`
    });
    const lines = runs.map((run, r) => {
      let d = '';
      let pen = false;
      axes.forEach((axis, i) => {
        const p = axis.positions[r];
        if (p === null) {
          pen = false;
          return;
        }
        d += `${pen ? 'L' : 'M'}${x(i)},${y(p).toFixed(1)}`;
        pen = true;
      });
      return el(
        'path',
        {
          class: 'jp-aml-parallel-line',
          d,
          stroke: run.color,
          'data-run': run.id
        },
        el('title', {}, run.label)
      );
    });
    const axisNodes = axes.map((axis, i) =>
      el(
        'g',
        {
          class: `jp-aml-parallel-axis jp-aml-mod-${axis.kind}`,
          'data-key': axis.key
        },
        el('line', { x1: x(i), x2: x(i), y1: y(1), y2: y(0) }),
        ...axis.ticks.map(tick =>
          el('line', {
            class: 'jp-aml-parallel-tick-mark',
            x1: x(i) - 3,
            x2: x(i) + 3,
            y1: y(tick.position),
            y2: y(tick.position)
          })
        ),
        el(
          'text',
          {
            class: 'jp-aml-parallel-name',
            x: x(i),
            y: TOP - 22,
            'text-anchor': 'middle'
          },
          short(axis.key) + (axis.scale === 'log' ? ' (log)' : ''),
          el('title', {}, axis.key)
        ),
        ...axis.ticks.map(tick =>
          el(
            'text',
            {
              class: 'jp-aml-parallel-tick',
              x: x(i) + 6,
              y: y(tick.position) + 3.5
            },
            short(tick.label)
          )
        )
      )
    );
    // Lines under the axes, so every tick label stays readable over them.
    root.append(
      el('g', { class: 'jp-aml-parallel-lines' }, ...lines),
      ...axisNodes
    );
    return root;
  }

  function short(text: string): string {
    return text.length > 16 ? `${text.slice(0, 15)}…` : text;
  }
}

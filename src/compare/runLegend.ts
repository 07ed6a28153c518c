import { Widget } from '@lumino/widgets';

import { h, renderIfChanged } from '../widgets/dom';
import { CompareModel } from './compareModel';
import { columnLabels } from './diff';
import { runColor } from './runColors';

/**
 * The runs of a comparison as chips in their colours: a chip shows or hides
 * its run in every chart, its × removes the run from the comparison.
 */
export class RunLegend extends Widget {
  /**
   * Create the legend of `options.model`.
   */
  constructor(options: RunLegend.IOptions) {
    super({ node: h('div', { role: 'list', 'aria-label': 'Runs compared' }) });
    this.addClass('jp-aml-compare-legend');
    this.model = options.model;
    this.node.addEventListener('click', this._onClick);
    this.model.changed.connect(this._render, this);
    this._render();
  }

  /** The model shown. */
  readonly model: CompareModel;

  /**
   * Stop showing the model; safe to call more than once.
   */
  dispose(): void {
    if (!this.isDisposed) {
      this.model.changed.disconnect(this._render, this);
      this.node.removeEventListener('click', this._onClick);
      super.dispose();
    }
  }

  private _render(): void {
    const entries = this.model.entries;
    const labels = columnLabels(
      entries.map(e => e.run ?? Private.placeholder(e.ref.run_id))
    );
    const state = entries.map((e, i) => [
      e.key,
      labels[i],
      e.state,
      e.hidden,
      e.run?.status,
      e.error
    ]);
    // Re-render only on change, so that a focused chip keeps its focus.
    const focused = (document.activeElement as HTMLElement | null)?.dataset
      ?.action;
    const focusedRun = (
      document.activeElement?.closest('[data-run]') as HTMLElement | null
    )?.dataset.run;
    renderIfChanged(this.node, JSON.stringify(state), () =>
      entries.map((entry, i) => this._chip(entry, labels[i]))
    );
    if (focused && focusedRun) {
      this.node
        .querySelector<HTMLElement>(
          `[data-run="${CSS.escape(focusedRun)}"] [data-action="${focused}"]`
        )
        ?.focus();
    }
    this.node.dataset.count = String(entries.length);
  }

  private _chip(entry: CompareModel.IEntry, label: string): HTMLElement {
    const swatch = h('span', { class: 'jp-aml-run-swatch' });
    swatch.style.background = runColor(entry.color);
    const { workspace, run_id } = entry.ref;
    const where = entry.run
      ? `experiment ${entry.run.experiment_id} · ${workspace}`
      : workspace;
    const problem = entry.error ? ` · ${entry.error}` : '';
    const toggle = h(
      'button',
      {
        class: 'jp-aml-compare-chip-toggle',
        'data-action': 'toggle',
        'aria-pressed': String(!entry.hidden),
        title: `${label} (${run_id}) in ${where}${problem}\nClick to ${entry.hidden ? 'show' : 'hide'} it in the charts`
      },
      swatch,
      h('span', { class: 'jp-aml-compare-chip-name' }, label),
      entry.state === 'ready'
        ? h(
            'span',
            { class: 'jp-aml-compare-chip-status' },
            entry.run?.status ?? ''
          )
        : h(
            'span',
            { class: 'jp-aml-compare-chip-state' },
            Private.STATE_TEXT[entry.state]
          )
    );
    const remove = h(
      'button',
      {
        class: 'jp-aml-compare-chip-remove jp-Button jp-mod-minimal',
        'data-action': 'remove',
        'aria-label': `Remove ${label} from the comparison`,
        title: 'Remove from the comparison'
      },
      '×'
    );
    return h(
      'div',
      {
        class: `jp-aml-compare-chip jp-aml-mod-${entry.state}${entry.hidden ? ' jp-aml-mod-hidden' : ''}`,
        role: 'listitem',
        'data-run': entry.key,
        'data-run-id': run_id,
        'data-workspace': workspace,
        'data-state': entry.state
      },
      toggle,
      remove
    );
  }

  private _onClick = (event: MouseEvent): void => {
    const button = (event.target as HTMLElement).closest<HTMLElement>(
      '[data-action]'
    );
    const key = button?.closest<HTMLElement>('[data-run]')?.dataset.run;
    if (!button || !key) {
      return;
    }
    if (button.dataset.action === 'remove') {
      this.model.remove(key);
    } else {
      const entry = this.model.entry(key);
      if (entry) {
        this.model.setHidden(key, !entry.hidden);
      }
    }
  };
}

/**
 * The RunLegend statics.
 */
export namespace RunLegend {
  /**
   * The options to create a legend.
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
  /** What a chip says of a run not loaded. */
  export const STATE_TEXT: Record<CompareModel.State, string> = {
    loading: 'loading…',
    ready: '',
    missing: 'not found',
    error: 'error'
  };

  /**
   * A stand-in run record, named by its id, for a run not loaded.
   */
  export function placeholder(runId: string) {
    return {
      run_id: runId,
      run_name: '',
      experiment_id: '',
      status: '',
      start_time: null,
      end_time: null,
      artifact_uri: '',
      params: {},
      metrics: {},
      tags: {}
    };
  }
}

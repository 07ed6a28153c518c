import { Message } from '@lumino/messaging';
import { ISignal, Signal } from '@lumino/signaling';
import { PanelLayout, Widget } from '@lumino/widgets';

import { WorkspacesModel } from '../model';
import { RunsModel } from '../runsModel';
import { IExperiment, IRun } from '../tokens';
import { h, renderIfChanged } from './dom';
import { experimentsNote } from './experiments';
import { RunsTable } from './runsTable';

/**
 * The experiments and runs browser: a picker of the active workspace's
 * experiments (several at once, with a filter box when there are many) over
 * the runs table of the picked ones.
 *
 * The section keeps the runs model's scope in step with the workspaces model:
 * the active workspace, once ready, and the experiments picked in it.
 */
export class RunsSection extends Widget {
  /**
   * Create the section; it sets `options.runs`'s scope from `options.workspaces`.
   */
  constructor(options: RunsSection.IOptions) {
    super();
    this.addClass('jp-aml-section');
    this.addClass('jp-aml-runs-section');
    this._workspaces = options.workspaces;
    this._runs = options.runs;
    this.table = new RunsTable({ ...options.table, model: options.runs });
    this.table.runActivated.connect(this._forwardActivated, this);
    this.table.selectionChanged.connect(this._forwardSelection, this);

    this._filter.addEventListener('input', this._applyExperimentFilter);
    this._list.addEventListener('change', this._onPick);
    const picker = new Widget({
      node: h(
        'div',
        { class: 'jp-aml-runs-experiments' },
        h('h3', { class: 'jp-aml-section-title' }, 'Experiments and runs'),
        this._filter,
        this._list,
        this._note
      )
    });
    const layout = new PanelLayout();
    layout.addWidget(picker);
    layout.addWidget(this.table);
    this.layout = layout;

    this._workspaces.stateChanged.connect(this._sync, this);
    this._sync();
  }

  /** The runs table. */
  readonly table: RunsTable;

  /** Emitted when a run is opened in the table (double click or Enter). */
  get runActivated(): ISignal<this, IRun> {
    return this._runActivated;
  }

  /** Emitted with the selected run ids whenever the selection changes. */
  get selectionChanged(): ISignal<this, ReadonlySet<string>> {
    return this._selectionChanged;
  }

  /** The ids of the picked experiments. */
  get experimentIds(): readonly string[] {
    return this._runs.experimentIds;
  }

  /**
   * Pick `ids` in the active workspace (e.g. from an experiment clicked elsewhere).
   */
  setExperiments(ids: readonly string[]): void {
    const workspace = this._workspaces.active;
    if (workspace) {
      this._picked.set(workspace, [...ids]);
      this._sync();
    }
  }

  /**
   * Stop following the models; safe to call more than once.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._workspaces.stateChanged.disconnect(this._sync, this);
    super.dispose();
  }

  /**
   * Refresh the runs when shown: the poll stands by while hidden.
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._runs.refresh();
  }

  /**
   * Set the runs scope from the workspaces model and redraw the picker.
   */
  private _sync(): void {
    const model = this._workspaces;
    const workspace = model.activeWorkspace;
    const ready = workspace?.state === 'ready' && model.experimentsLoaded;
    const experiments = ready ? model.experiments : [];
    let picked: string[] = [];
    if (workspace && ready) {
      const known = new Set(experiments.map(e => e.experiment_id));
      const stored = this._picked.get(workspace.name);
      picked = (stored ?? Private.defaultPick(experiments)).filter(id =>
        known.has(id)
      );
      this._picked.set(workspace.name, picked);
    }
    this._runs.setScope(ready ? workspace!.name : null, picked);

    this._filter.hidden = experiments.length <= RunsSection.FILTER_THRESHOLD;
    const list = this._list;
    list.dataset.workspace = workspace?.name ?? '';
    list.dataset.loaded = String(model.experimentsLoaded);
    if (model.experimentsLoaded) {
      list.dataset.count = String(experiments.length);
    } else {
      delete list.dataset.count;
    }
    const note = experimentsNote(
      workspace,
      model.experimentsLoaded,
      model.experiments.length,
      model.hasMoreExperiments
    );
    this._note.textContent = note ?? '';
    this._note.hidden = note === null;
    renderIfChanged(
      this._list,
      JSON.stringify([workspace?.name, experiments, picked]),
      () => experiments.map(exp => Private.choice(exp, picked))
    );
    this._applyExperimentFilter();
  }

  private _onPick = (): void => {
    const ids = Array.from(
      this._list.querySelectorAll<HTMLInputElement>('input:checked'),
      input => input.value
    );
    this.setExperiments(ids);
  };

  private _applyExperimentFilter = (): void => {
    const text = this._filter.hidden ? '' : this._filter.value.toLowerCase();
    for (const item of Array.from(this._list.children) as HTMLElement[]) {
      const name = item.dataset.name ?? '';
      item.hidden = text !== '' && !name.toLowerCase().includes(text);
    }
  };

  private _forwardActivated(_: RunsTable, run: IRun): void {
    this._runActivated.emit(run);
  }

  private _forwardSelection(_: RunsTable, ids: ReadonlySet<string>): void {
    this._selectionChanged.emit(ids);
  }

  private _workspaces: WorkspacesModel;
  private _runs: RunsModel;
  /** The experiments picked per workspace, so that switching back restores them. */
  private _picked = new Map<string, string[]>();
  private _filter = h('input', {
    class: 'jp-aml-runs-experiment-filter jp-mod-styled',
    type: 'search',
    placeholder: 'Filter experiments',
    'aria-label': 'Filter experiments by name'
  });
  private _list = h('ul', {
    class: 'jp-aml-runs-experiment-list',
    role: 'group',
    'aria-label': 'Experiments to show runs of'
  });
  private _note = h('p', { class: 'jp-aml-empty jp-aml-experiments-note' });
  private _runActivated = new Signal<this, IRun>(this);
  private _selectionChanged = new Signal<this, ReadonlySet<string>>(this);
}

/**
 * The RunsSection statics.
 */
export namespace RunsSection {
  /** Above this many experiments the picker shows a filter box. */
  export const FILTER_THRESHOLD = 1;

  /**
   * The options to create a section.
   */
  export interface IOptions {
    /** The workspaces model: its active workspace and experiments. */
    workspaces: WorkspacesModel;
    /** The runs model the section scopes and the table renders. */
    runs: RunsModel;
    /** Options of the runs table (row height, clock). */
    table?: Omit<RunsTable.IOptions, 'model'>;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * The experiment picked at first: the one updated last.
   */
  export function defaultPick(experiments: readonly IExperiment[]): string[] {
    let best: IExperiment | null = null;
    for (const exp of experiments) {
      if (!best || (exp.last_update_time ?? 0) > (best.last_update_time ?? 0)) {
        best = exp;
      }
    }
    return best ? [best.experiment_id] : [];
  }

  /**
   * One experiment's checkbox.
   */
  export function choice(
    exp: IExperiment,
    picked: readonly string[]
  ): HTMLElement {
    const box = h('input', { type: 'checkbox', value: exp.experiment_id });
    box.checked = picked.includes(exp.experiment_id);
    return h(
      'li',
      {
        class: 'jp-aml-runs-experiment',
        'data-experiment-id': exp.experiment_id,
        'data-name': exp.name
      },
      h(
        'label',
        {},
        box,
        h('span', { class: 'jp-aml-experiment-name' }, exp.name),
        h('span', { class: 'jp-aml-experiment-id' }, `#${exp.experiment_id}`)
      )
    );
  }
}

import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { PanelLayout, Widget } from '@lumino/widgets';

import { amlIcon } from '../icons';
import { WorkspacesModel } from '../model';
import { h, renderIfChanged } from './dom';
import { experimentItems, experimentsNote } from './experiments';
import { workspaceOptions, workspaceRows } from './workspaces';

/**
 * The experiment tracking sidebar: workspaces, their states, and the active
 * workspace's experiments. It renders the model and holds no fetching code.
 */
export class AmlSidebar extends Widget {
  /**
   * Create the sidebar.
   */
  constructor(options: AmlSidebar.IOptions) {
    super();
    this.id = 'jp-aml-sidebar';
    this.addClass('jp-aml-sidebar');
    this.title.icon = amlIcon;
    this.title.caption = 'Experiment tracking';
    this._model = options.model;

    const refresh = h('button', {
      class: 'jp-aml-refresh jp-Button jp-mod-minimal',
      title: 'Refresh',
      'aria-label': 'Refresh'
    });
    refreshIcon.element({ container: refresh });
    refresh.addEventListener('click', () => void this._model.refresh());

    this._picker = h('select', {
      class: 'jp-aml-workspace-picker jp-mod-styled',
      'aria-label': 'Active workspace'
    });
    this._picker.addEventListener('change', this._onPick);

    // The header, workspaces and experiments are plain DOM in one child widget; the
    // sections after it are widgets in their own right (live charts, runs).
    const top = new Widget();
    top.addClass('jp-aml-sidebar-top');
    top.node.append(
      h(
        'div',
        { class: 'jp-aml-header' },
        h('h2', { class: 'jp-aml-title' }, 'Experiment tracking'),
        refresh
      ),
      this._configError,
      this._error,
      h(
        'section',
        { class: 'jp-aml-section jp-aml-workspaces' },
        h('h3', { class: 'jp-aml-section-title' }, 'Workspaces'),
        h(
          'label',
          { class: 'jp-aml-picker-label' },
          h('span', {}, 'Active'),
          this._picker
        ),
        this._workspaceList
      ),
      h(
        'section',
        { class: 'jp-aml-section jp-aml-experiments' },
        this._experimentsTitle,
        this._experimentList,
        this._experimentsNote
      )
    );
    // Sections that are widgets (live charts, runs) are lumino children, so that they get
    // attach, show and resize messages; they follow the header and workspaces above.
    const layout = (this.layout = new PanelLayout());
    layout.addWidget(top);
    for (const section of options.sections ?? []) {
      layout.addWidget(section);
    }
    this._model.stateChanged.connect(this._render, this);
    this._render();
  }

  /**
   * The model the sidebar renders.
   */
  get model(): WorkspacesModel {
    return this._model;
  }

  /**
   * Stop rendering the model; safe to call more than once.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.stateChanged.disconnect(this._render, this);
    this._picker.removeEventListener('change', this._onPick);
    super.dispose();
  }

  /**
   * Refresh when shown, so that the sidebar is current on every visit.
   */
  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this._model.refresh();
  }

  private _render(): void {
    const model = this._model;
    Private.banner(this._configError, model.configError);
    Private.banner(this._error, model.error);

    const workspaces = model.workspaces;
    const active = model.active;
    this._workspaceList.dataset.count = String(workspaces.length);
    renderIfChanged(
      this._workspaceList,
      JSON.stringify([workspaces, active]),
      () =>
        model.loaded
          ? workspaceRows(workspaces, active)
          : [h('li', { class: 'jp-aml-empty' }, 'Loading workspaces…')]
    );
    renderIfChanged(
      this._picker,
      JSON.stringify([workspaces.map(ws => ws.name), active]),
      () => workspaceOptions(workspaces, active)
    );
    this._picker.disabled = workspaces.length < 2;

    const workspace = model.activeWorkspace;
    this._experimentsTitle.textContent = workspace
      ? `Experiments in ${workspace.name}`
      : 'Experiments';
    const list = this._experimentList;
    list.dataset.workspace = workspace?.name ?? '';
    list.dataset.loaded = String(model.experimentsLoaded);
    if (model.experimentsLoaded) {
      list.dataset.count = String(model.experiments.length);
    } else {
      delete list.dataset.count;
    }
    renderIfChanged(
      list,
      JSON.stringify([workspace?.name, model.experiments]),
      () => experimentItems(model.experiments)
    );
    const note = experimentsNote(
      workspace,
      model.experimentsLoaded,
      model.experiments.length,
      model.hasMoreExperiments
    );
    this._experimentsNote.textContent = note ?? '';
    this._experimentsNote.hidden = note === null;
  }

  private _onPick = (): void => {
    const name = this._picker.value;
    if (name && name !== this._model.active) {
      // The model records the failure in `error`; put the picker back.
      this._model.setActive(name).catch(() => {
        this._picker.value = this._model.active ?? '';
      });
    }
  };

  private _model: WorkspacesModel;
  private _picker: HTMLSelectElement;
  private _configError = h('div', {
    class: 'jp-aml-banner jp-aml-config-error',
    role: 'alert'
  });
  private _error = h('div', {
    class: 'jp-aml-banner jp-aml-error',
    role: 'alert'
  });
  private _workspaceList = h('ul', { class: 'jp-aml-workspace-list' });
  private _experimentsTitle = h('h3', { class: 'jp-aml-section-title' });
  private _experimentList = h('ul', { class: 'jp-aml-experiment-list' });
  private _experimentsNote = h('p', { class: 'jp-aml-empty' });
}

/**
 * The AmlSidebar statics.
 */
export namespace AmlSidebar {
  /**
   * The options to create a sidebar.
   */
  export interface IOptions {
    /** The model to render. */
    model: WorkspacesModel;
    /** Further sections, in order, below the workspaces. */
    sections?: Widget[];
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Show `text` in a banner, or hide the banner when there is none.
   */
  export function banner(node: HTMLElement, text: string | null): void {
    node.textContent = text ?? '';
    node.hidden = !text;
  }
}

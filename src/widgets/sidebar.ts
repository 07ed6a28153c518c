import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { PanelLayout, Widget } from '@lumino/widgets';

import { amlIcon } from '../icons';
import { WorkspacesModel } from '../model';
import { h } from './dom';

/**
 * The experiment tracking sidebar: a header with the refresh button, the
 * banners of the workspaces model (an unreadable config file, a server that
 * cannot be reached), then its sections (workspaces, live charts, runs).
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
      this._error
    );
    // Sections are lumino children, so that they get attach, show and resize messages.
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
    Private.banner(this._configError, this._model.configError);
    Private.banner(this._error, this._model.error);
  }

  private _model: WorkspacesModel;
  private _configError = h('div', {
    class: 'jp-aml-banner jp-aml-config-error',
    role: 'alert'
  });
  private _error = h('div', {
    class: 'jp-aml-banner jp-aml-error',
    role: 'alert'
  });
}

/**
 * The AmlSidebar statics.
 */
export namespace AmlSidebar {
  /**
   * The options to create a sidebar.
   */
  export interface IOptions {
    /** The model whose banners show and which the refresh button refreshes. */
    model: WorkspacesModel;
    /** The sections, in order, below the header. */
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

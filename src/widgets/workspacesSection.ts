import { Clipboard } from '@jupyterlab/apputils';
import { addIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { WorkspacesModel } from '../model';
import { SignInModel } from '../signIn';
import { IDetectedWorkspace } from '../tokens';
import { h, renderIfChanged } from './dom';
import { detectedRows, workspaceOptions, workspaceRows } from './workspaces';

/**
 * The workspaces: the active-workspace picker, each workspace with its state,
 * who is signed in and its sign-in, an Add button, and workspaces detected in
 * config files. It renders the models; the dialogs are behind `actions`.
 */
export class WorkspacesSection extends Widget {
  /**
   * Create the section.
   */
  constructor(options: WorkspacesSection.IOptions) {
    super({ node: h('section', {}) });
    this.addClass('jp-aml-section');
    this.addClass('jp-aml-workspaces');
    this._model = options.model;
    this._signIns = options.signIns;
    this._actions = options.actions;
    this._now = options.now ?? Date.now;
    this._clockInterval = options.clockInterval ?? 15 * 1000;

    const add = h('button', {
      class: 'jp-aml-workspace-add jp-Button jp-mod-minimal',
      type: 'button',
      title: 'Add a workspace (MLflow server or Azure ML)',
      'aria-label': 'Add a workspace'
    });
    addIcon.element({ container: add });
    add.addEventListener('click', () => this._actions.add());
    this._picker.addEventListener('change', this._onPick);
    this.node.append(
      h(
        'div',
        { class: 'jp-aml-section-header' },
        h('h3', { class: 'jp-aml-section-title' }, 'Workspaces'),
        add
      ),
      h(
        'label',
        { class: 'jp-aml-picker-label' },
        h('span', {}, 'Active'),
        this._picker
      ),
      this._list,
      this._detected
    );
    this.node.addEventListener('click', this._onClick);
    this._model.stateChanged.connect(this._render, this);
    this._signIns.changed.connect(this._render, this);
    this._render();
  }

  /**
   * Stop rendering; safe to call more than once.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._stopClock();
    this._model.stateChanged.disconnect(this._render, this);
    this._signIns.changed.disconnect(this._render, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    // Token expiries and code lifetimes are shown relative to now.
    this._clock = setInterval(() => this._render(), this._clockInterval);
  }

  protected onBeforeDetach(msg: Message): void {
    this._stopClock();
    super.onBeforeDetach(msg);
  }

  private _render(): void {
    const model = this._model;
    const workspaces = model.workspaces;
    const active = model.active;
    const now = this._now();
    const signIns = workspaces.map(ws => this._signIns.get(ws.name) ?? null);
    // Relative times change with the clock: redraw on its ticks then only.
    const timed =
      workspaces.some(ws => ws.token_expires_on) ||
      signIns.some(s => s?.expiresAt);
    const tick = timed ? Math.floor(now / this._clockInterval) : 0;
    this._list.dataset.count = String(workspaces.length);
    renderIfChanged(
      this._list,
      JSON.stringify([workspaces, active, signIns, tick]),
      () =>
        model.loaded
          ? workspaceRows(workspaces, {
              active,
              now,
              signIn: name => this._signIns.get(name)
            })
          : [h('li', { class: 'jp-aml-empty' }, 'Loading workspaces…')]
    );
    renderIfChanged(
      this._picker,
      JSON.stringify([workspaces.map(ws => ws.name), active]),
      () => workspaceOptions(workspaces, active)
    );
    this._picker.disabled = workspaces.length < 2;
    const detected = model.detected;
    this._detected.hidden = detected.length === 0;
    renderIfChanged(this._detected, JSON.stringify(detected), () =>
      detectedRows(detected)
    );
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

  private _onClick = (event: MouseEvent): void => {
    const button = (event.target as HTMLElement).closest<HTMLElement>(
      '[data-action]'
    );
    const name = button?.dataset.name;
    if (!button || name === undefined) {
      return;
    }
    switch (button.dataset.action) {
      case 'sign-in':
        this._actions.signIn(name);
        break;
      case 'remove':
        this._actions.remove(name);
        break;
      case 'dismiss-sign-in':
        this._signIns.dismiss(name);
        break;
      case 'copy-code': {
        const code = this._signIns.get(name)?.userCode;
        if (code) {
          Clipboard.copyToSystem(code);
          button.textContent = 'Copied';
        }
        break;
      }
      case 'add-detected': {
        const detected: IDetectedWorkspace | undefined =
          this._model.detected[Number(name)];
        if (detected) {
          this._actions.addDetected(detected);
        }
        break;
      }
    }
  };

  private _stopClock(): void {
    if (this._clock !== undefined) {
      clearInterval(this._clock);
      this._clock = undefined;
    }
  }

  private _model: WorkspacesModel;
  private _signIns: SignInModel;
  private _actions: WorkspacesSection.IActions;
  private _now: () => number;
  private _clockInterval: number;
  private _clock: ReturnType<typeof setInterval> | undefined = undefined;
  private _picker = h('select', {
    class: 'jp-aml-workspace-picker jp-mod-styled',
    'aria-label': 'Active workspace'
  });
  private _list = h('ul', { class: 'jp-aml-workspace-list' });
  private _detected = h('ul', {
    class: 'jp-aml-detected-list',
    'aria-label': 'Workspaces found in config files'
  });
}

/**
 * The WorkspacesSection statics.
 */
export namespace WorkspacesSection {
  /**
   * What the section's buttons do (dialogs and requests live with the commands).
   */
  export interface IActions {
    /** Open the "Add workspace" dialog. */
    add(): void;
    /** Confirm and remove a workspace. */
    remove(name: string): void;
    /** Start a workspace's sign-in. */
    signIn(name: string): void;
    /** Add a workspace found in a config file. */
    addDetected(detected: IDetectedWorkspace): void;
  }

  /**
   * The options to create a section.
   */
  export interface IOptions {
    /** The workspaces to show. */
    model: WorkspacesModel;
    /** The sign-ins in progress. */
    signIns: SignInModel;
    /** What the buttons do. */
    actions: IActions;
    /** The clock (default `Date.now`). */
    now?: () => number;
    /** How often relative times are redrawn, in ms (default 15 s). */
    clockInterval?: number;
  }
}

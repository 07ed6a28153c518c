import { Dialog, showDialog } from '@jupyterlab/apputils';

import { failureMessage } from '../request';
import { AddWorkspaceRequest } from '../tokens';
import {
  IWorkspaceFormValues,
  validateWorkspaceForm,
  workspaceRequest
} from '../workspaceForm';
import { WorkspaceFormWidget } from './workspaceForm';

/**
 * A dialog whose accept button runs `submit` first and closes only when it
 * succeeds: on a failure the dialog stays open with the user's input, and
 * `submit` shows why in the body.
 */
export class SubmitDialog<T> extends Dialog<T> {
  /**
   * Create the dialog; `buttons[acceptIndex]` submits (default: the last one).
   */
  constructor(options: SubmitDialog.IOptions<T>) {
    super(options);
    this._submit = options.submit;
    this._acceptIndex =
      options.defaultButton ?? (options.buttons?.length ?? 2) - 1;
  }

  /** Whether a submit is under way. */
  get submitting(): boolean {
    return this._submitting;
  }

  /**
   * Resolve with button `index`; the accept button submits first.
   */
  resolve(index?: number): void {
    const chosen = index ?? this._acceptIndex;
    if (chosen !== this._acceptIndex) {
      super.resolve(index);
      return;
    }
    if (this._submitting) {
      return; // one request at a time; a second Enter waits for the first
    }
    this._submitting = true;
    this.node.classList.add('jp-aml-mod-submitting');
    void this._submit()
      .catch(error => {
        console.error('jupyterlab-aml: dialog submit failed', error);
        return false;
      })
      .then(done => {
        this._submitting = false;
        this.node.classList.remove('jp-aml-mod-submitting');
        if (done && !this.isDisposed) {
          super.resolve(chosen);
        }
      });
  }

  private _submit: () => Promise<boolean>;
  private _acceptIndex: number;
  private _submitting = false;
}

/**
 * The SubmitDialog statics.
 */
export namespace SubmitDialog {
  /**
   * The options to create a dialog.
   */
  export interface IOptions<T> extends Partial<Dialog.IOptions<T>> {
    /** Run on accept; resolve true to close the dialog, false to keep it open. */
    submit: () => Promise<boolean>;
  }
}

/**
 * Show the "Add workspace" dialog; resolves with the request that was added,
 * or null when the user cancelled.
 *
 * `add` sends the request; its error (the server's 400/409 message) shows in
 * the dialog, which stays open with what the user typed.
 */
export async function showAddWorkspaceDialog(options: {
  add: (request: AddWorkspaceRequest) => Promise<unknown>;
  existing: readonly string[];
  initial?: Partial<IWorkspaceFormValues>;
}): Promise<AddWorkspaceRequest | null> {
  const form = new WorkspaceFormWidget(options.initial);
  let added: AddWorkspaceRequest | null = null;
  const dialog = new SubmitDialog<IWorkspaceFormValues>({
    title: 'Add a workspace',
    body: form,
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: 'Add' })],
    focusNodeSelector: '[name="name"]',
    submit: async () => {
      const values = form.values;
      const errors = validateWorkspaceForm(values, options.existing);
      form.showErrors(errors);
      form.serverError = null;
      if (Object.keys(errors).length > 0) {
        return false;
      }
      const request = workspaceRequest(values);
      form.busy = true;
      try {
        await options.add(request);
        added = request;
        return true;
      } catch (error) {
        form.serverError = failureMessage(error);
        return false;
      } finally {
        form.busy = false;
      }
    }
  });
  dialog.addClass('jp-aml-workspace-dialog');
  const result = await dialog.launch();
  return result.button.accept ? added : null;
}

/**
 * Ask before removing a workspace; whether the user confirmed.
 */
export async function confirmRemoveWorkspace(name: string): Promise<boolean> {
  const result = await showDialog({
    title: `Remove workspace "${name}"?`,
    body:
      'Its runs stay on the tracking server; only this connection and its ' +
      'stored credentials are removed from JupyterLab.',
    buttons: [Dialog.cancelButton(), Dialog.warnButton({ label: 'Remove' })]
  });
  return result.button.accept;
}

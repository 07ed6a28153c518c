import { JupyterFrontEnd } from '@jupyterlab/application';
import {
  ICommandPalette,
  InputDialog,
  showErrorMessage
} from '@jupyterlab/apputils';

import { WorkspacesModel } from './model';
import { failureMessage } from './request';
import { SignInModel } from './signIn';
import { IDetectedWorkspace } from './tokens';
import { detectedRequest } from './workspaceForm';
import { canSignIn } from './widgets/workspaces';
import {
  confirmRemoveWorkspace,
  showAddWorkspaceDialog
} from './widgets/workspaceDialogs';
import { WorkspacesSection } from './widgets/workspacesSection';

/**
 * The workspace command ids.
 */
export namespace WorkspaceCommandIDs {
  export const add = 'jupyterlab-aml:add-workspace';
  export const remove = 'jupyterlab-aml:remove-workspace';
  export const signIn = 'jupyterlab-aml:sign-in';
  export const select = 'jupyterlab-aml:select-workspace';
}

/**
 * Add the workspace commands (in the palette too) and return what the
 * sidebar's buttons do: the same commands, with the workspace as argument.
 *
 * Without a `name` argument a command asks which workspace (or, for sign-in,
 * takes the active one when it can sign in).
 */
export function addWorkspaceCommands(
  app: JupyterFrontEnd,
  options: {
    model: WorkspacesModel;
    signIns: SignInModel;
    palette: ICommandPalette | null;
    category: string;
  }
): WorkspacesSection.IActions {
  const { model, signIns } = options;
  const { commands } = app;
  const names = () => model.workspaces.map(ws => ws.name);
  const signInNames = () =>
    model.workspaces.filter(ws => ws.kind === 'azureml').map(ws => ws.name);

  commands.addCommand(WorkspaceCommandIDs.add, {
    label: 'Add Tracking Workspace…',
    caption: 'Add an MLflow tracking server or an Azure ML workspace',
    execute: async args => {
      const kind = args.kind === 'azureml' ? 'azureml' : 'mlflow';
      await showAddWorkspaceDialog({
        add: request => model.add(request),
        existing: names(),
        initial: { kind }
      });
    }
  });

  commands.addCommand(WorkspaceCommandIDs.remove, {
    label: args =>
      args.name
        ? `Remove Workspace ${args.name}…`
        : 'Remove Tracking Workspace…',
    caption: 'Remove a workspace (the built-in local one stays)',
    isEnabled: args =>
      args.name ? args.name !== 'local' : names().some(n => n !== 'local'),
    execute: async args => {
      const name = await Private.choose(
        args.name,
        'Remove which workspace?',
        names().filter(n => n !== 'local')
      );
      if (!name || !(await confirmRemoveWorkspace(name))) {
        return;
      }
      try {
        await model.remove(name);
      } catch (error) {
        await showErrorMessage(
          `Cannot remove workspace "${name}"`,
          failureMessage(error)
        );
      }
    }
  });

  commands.addCommand(WorkspaceCommandIDs.signIn, {
    label: args =>
      args.name ? `Sign In to ${args.name}` : 'Sign In to Tracking Workspace…',
    caption:
      'Sign in to an Azure ML workspace (device code or credential retry)',
    isEnabled: args =>
      args.name
        ? signInNames().includes(String(args.name))
        : signInNames().length > 0,
    execute: async args => {
      const active = model.activeWorkspace;
      const name =
        args.name ?? (active && canSignIn(active) ? active.name : undefined);
      const chosen = await Private.choose(
        name,
        'Sign in to which workspace?',
        signInNames()
      );
      if (chosen) {
        await signIns.start(chosen);
      }
    }
  });

  commands.addCommand(WorkspaceCommandIDs.select, {
    label: args =>
      args.name
        ? `Use Workspace ${args.name}`
        : 'Select Active Tracking Workspace…',
    caption: 'Choose the workspace new kernels log to',
    execute: async args => {
      const name = await Private.choose(
        args.name,
        'Log new runs to which workspace?',
        names(),
        model.active ?? undefined
      );
      if (name && name !== model.active) {
        try {
          await model.setActive(name);
        } catch (error) {
          await showErrorMessage(
            `Cannot switch to "${name}"`,
            failureMessage(error)
          );
        }
      }
    }
  });

  for (const command of [
    WorkspaceCommandIDs.add,
    WorkspaceCommandIDs.remove,
    WorkspaceCommandIDs.signIn,
    WorkspaceCommandIDs.select
  ]) {
    options.palette?.addItem({ command, category: options.category });
  }

  return {
    add: () => void commands.execute(WorkspaceCommandIDs.add),
    remove: name => void commands.execute(WorkspaceCommandIDs.remove, { name }),
    signIn: name => void commands.execute(WorkspaceCommandIDs.signIn, { name }),
    addDetected: (detected: IDetectedWorkspace) =>
      void model
        .add(detectedRequest(detected))
        .catch(error =>
          showErrorMessage(
            `Cannot add workspace "${detected.name}"`,
            failureMessage(error)
          )
        )
  };
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * `given` when set, else the user's pick among `items` (null if cancelled).
   */
  export async function choose(
    given: unknown,
    title: string,
    items: string[],
    current?: string
  ): Promise<string | null> {
    if (typeof given === 'string' && given) {
      return given;
    }
    if (items.length === 0) {
      return null;
    }
    const result = await InputDialog.getItem({
      title,
      items,
      current: current ?? items[0]
    });
    return result.button.accept ? result.value : null;
  }
}

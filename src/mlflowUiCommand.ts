import { JupyterFrontEnd } from '@jupyterlab/application';
import { IFrame, MainAreaWidget } from '@jupyterlab/apputils';
import { ReadonlyPartialJSONObject } from '@lumino/coreutils';

import { amlIcon } from './icons';
import { IUiRun, MlflowUiTarget, mlflowUiTarget } from './mlflowUi';
import { IWorkspace } from './tokens';

/**
 * What the command opens when its arguments do not say: a workspace and,
 * when one is in view, a run of it.
 */
export interface IUiContext {
  workspace: IWorkspace | null;
  run: IUiRun | null;
}

/**
 * Add the "Open in MLflow UI" command.
 *
 * Arguments `{workspace, run_id, experiment_id}` name a run (as the run
 * detail's toolbar does); without them `context()` says what is in view. The
 * command is disabled, with the reason as its caption, where there is no UI.
 */
export function addMlflowUiCommand(
  app: JupyterFrontEnd,
  options: {
    id: string;
    context: () => IUiContext;
    workspace: (name: string) => IWorkspace | null;
  }
): void {
  const resolve = (args: ReadonlyPartialJSONObject): IUiContext => {
    if (typeof args.workspace !== 'string') {
      return options.context();
    }
    return {
      workspace: options.workspace(args.workspace),
      run:
        typeof args.run_id === 'string'
          ? {
              run_id: args.run_id,
              experiment_id: String(args.experiment_id ?? '')
            }
          : null
    };
  };
  const target = (args: ReadonlyPartialJSONObject): MlflowUiTarget => {
    const { workspace, run } = resolve(args);
    return mlflowUiTarget(
      workspace,
      run,
      app.serviceManager.serverSettings.baseUrl
    );
  };
  app.commands.addCommand(options.id, {
    label: args => target(args).label,
    caption: args => {
      const open = target(args);
      switch (open.kind) {
        case 'unavailable':
          return open.reason;
        case 'tab':
          return 'Open the MLflow UI of the embedded store in a tab';
        default:
          return `Open ${open.url.split('#')[0].split('?')[0]} in a new browser window`;
      }
    },
    isEnabled: args => target(args).kind !== 'unavailable',
    execute: args => {
      const open = target(args);
      if (open.kind === 'window') {
        // `noopener`: the remote page gets no handle on this one.
        window.open(open.url, '_blank', 'noopener');
      } else if (open.kind === 'tab') {
        const name = resolve(args).workspace?.name ?? '';
        app.shell.add(Private.frameTab(open.url, name), 'main');
      }
    }
  });
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * A main-area tab showing the embedded store's UI.
   */
  export function frameTab(url: string, workspace: string): MainAreaWidget {
    const frame = new IFrame({
      // The embedded store's UI is MLflow's own bundled app, served same-origin.
      sandbox: [
        'allow-scripts',
        'allow-same-origin',
        'allow-forms',
        'allow-popups'
      ]
    });
    frame.url = url;
    const widget = new MainAreaWidget({ content: frame });
    widget.addClass('jp-aml-mlflow-ui');
    widget.title.label = workspace ? `MLflow · ${workspace}` : 'MLflow';
    widget.title.icon = amlIcon;
    return widget;
  }
}

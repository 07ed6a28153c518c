/**
 * Where "Open in MLflow UI" goes for each kind of workspace. Pure functions.
 *
 * - `local`: the embedded store's own UI through the passthrough, in a
 *   main-area tab (same origin, it is our own MLflow).
 * - `mlflow`: the server's UI at its own address in a new browser window; the
 *   passthrough does not serve remote UIs, whose scripts would run in
 *   Jupyter's origin with the user's session.
 * - `azureml`: the run in Azure ML studio, in a new browser window.
 */

import { URLExt } from '@jupyterlab/coreutils';

import { IWorkspace } from './tokens';

/**
 * The run to open the UI at.
 */
export interface IUiRun {
  run_id: string;
  experiment_id: string;
}

/**
 * What the command does: open a tab, open a window, or nothing, and why.
 */
export type MlflowUiTarget =
  | { kind: 'tab'; url: string; label: string }
  | { kind: 'window'; url: string; label: string }
  | { kind: 'unavailable'; label: string; reason: string };

/**
 * Azure ML studio of the public cloud, for servers that do not send `studio_url`.
 */
export const DEFAULT_STUDIO_URL = 'https://ml.azure.com';

/**
 * Where the UI of `workspace` opens, at `run` when there is one.
 */
export function mlflowUiTarget(
  workspace: IWorkspace | null,
  run: IUiRun | null,
  baseUrl: string
): MlflowUiTarget {
  const label = 'Open in MLflow UI';
  if (!workspace) {
    return { kind: 'unavailable', label, reason: 'No workspace is selected.' };
  }
  const route = run
    ? `#/experiments/${encodeURIComponent(run.experiment_id)}/runs/${encodeURIComponent(run.run_id)}`
    : '#/experiments';
  switch (workspace.kind) {
    case 'local':
      return {
        kind: 'tab',
        label,
        url:
          URLExt.join(
            baseUrl,
            'aml',
            'mlflow',
            encodeURIComponent(workspace.name),
            '/'
          ) + route
      };
    case 'mlflow': {
      const uri = workspace.tracking_uri.trim();
      if (!/^https?:\/\/[^/]/i.test(uri)) {
        return {
          kind: 'unavailable',
          label,
          reason: `The address of "${workspace.name}" is not known yet.`
        };
      }
      return {
        kind: 'window',
        label,
        url: `${uri.replace(/\/+$/, '')}/${route}`
      };
    }
    case 'azureml':
      return studioTarget(workspace, run);
    default:
      return {
        kind: 'unavailable',
        label,
        reason: `Workspaces of kind "${workspace.kind}" have no MLflow UI.`
      };
  }
}

/**
 * The run (or the workspace) in Azure ML studio.
 */
function studioTarget(
  workspace: IWorkspace,
  run: IUiRun | null
): MlflowUiTarget {
  const label = 'Open in Azure ML Studio';
  const { subscription_id, resource_group, workspace_name } = workspace;
  if (!subscription_id || !resource_group || !workspace_name) {
    return {
      kind: 'unavailable',
      label,
      reason: `The server does not report the Azure coordinates of "${workspace.name}".`
    };
  }
  if (workspace.studio_url === null) {
    return {
      kind: 'unavailable',
      label,
      reason: `No Azure ML studio address is known for the custom cloud of "${workspace.name}".`
    };
  }
  const studio = (workspace.studio_url ?? DEFAULT_STUDIO_URL).replace(
    /\/+$/,
    ''
  );
  const wsid = [
    '/subscriptions',
    subscription_id,
    'resourcegroups',
    resource_group,
    'workspaces',
    workspace_name
  ]
    .map(part => (part.startsWith('/') ? part : encodeURIComponent(part)))
    .join('/');
  const page = run ? `runs/${encodeURIComponent(run.run_id)}` : '';
  return { kind: 'window', label, url: `${studio}/${page}?wsid=${wsid}` };
}

import { IWorkspace, WorkspaceState } from '../tokens';
import { h } from './dom';

/**
 * The label of each workspace state.
 */
const STATE_LABELS: Record<WorkspaceState, string> = {
  starting: 'Starting',
  ready: 'Ready',
  signed_out: 'Signed out',
  error: 'Error'
};

/**
 * The rows of the workspace list, one per workspace, with its state badge.
 */
export function workspaceRows(
  workspaces: readonly IWorkspace[],
  active: string | null
): HTMLElement[] {
  return workspaces.map(ws => workspaceRow(ws, ws.name === active));
}

/**
 * One workspace row; `data-state` carries the state for tests and styles.
 */
function workspaceRow(ws: IWorkspace, isActive: boolean): HTMLElement {
  const details: HTMLElement[] = [];
  if (ws.detail) {
    details.push(h('div', { class: 'jp-aml-workspace-detail' }, ws.detail));
  }
  if (ws.identity) {
    const expiry = ws.token_expires_on
      ? `, token expires ${new Date(ws.token_expires_on * 1000).toLocaleString()}`
      : '';
    details.push(
      h(
        'div',
        { class: 'jp-aml-workspace-identity' },
        `Signed in as ${ws.identity}${expiry}`
      )
    );
  }
  return h(
    'li',
    {
      class: 'jp-aml-workspace' + (isActive ? ' jp-aml-mod-active' : ''),
      'data-name': ws.name,
      'data-kind': ws.kind,
      'data-state': ws.state,
      'data-active': String(isActive),
      title: ws.tracking_uri || undefined
    },
    h(
      'div',
      { class: 'jp-aml-workspace-header' },
      h('span', { class: 'jp-aml-workspace-name' }, ws.name),
      h('span', { class: 'jp-aml-workspace-kind' }, ws.kind),
      stateBadge(ws.state)
    ),
    ...details
  );
}

/**
 * The state badge; `starting` carries a spinner.
 */
function stateBadge(state: WorkspaceState): HTMLElement {
  const badge = h(
    'span',
    { class: `jp-aml-badge jp-aml-badge-${state}` },
    STATE_LABELS[state] ?? state
  );
  if (state === 'starting') {
    badge.prepend(
      h('span', {
        class: 'jp-aml-spinner',
        role: 'progressbar',
        'aria-label': 'Starting'
      })
    );
  }
  return badge;
}

/**
 * The options of the active-workspace picker.
 */
export function workspaceOptions(
  workspaces: readonly IWorkspace[],
  active: string | null
): HTMLOptionElement[] {
  return workspaces.map(ws => {
    const option = h('option', { value: ws.name }, ws.name);
    option.selected = ws.name === active;
    return option;
  });
}

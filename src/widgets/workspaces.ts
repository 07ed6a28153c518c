import { ISignInState } from '../signIn';
import { IDetectedWorkspace, IWorkspace, WorkspaceState } from '../tokens';
import { actionButton, h } from './dom';
import { timeUntil } from './relativeTime';
import { signInPanel } from './signInPanel';

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
 * What a workspace row needs besides the workspace.
 */
export interface IWorkspaceRowContext {
  /** The active workspace's name. */
  active: string | null;
  /** The sign-in shown for a workspace, if any. */
  signIn: (name: string) => ISignInState | undefined;
  /** The clock, for the token's expiry. */
  now: number;
}

/**
 * Whether the Sign in button shows: Azure ML workspaces that are signed out
 * or in error (a credential that failed is retried by signing in again).
 */
export function canSignIn(ws: IWorkspace): boolean {
  return (
    ws.kind === 'azureml' && (ws.state === 'signed_out' || ws.state === 'error')
  );
}

/**
 * The rows of the workspace list, one per workspace, with its state badge.
 */
export function workspaceRows(
  workspaces: readonly IWorkspace[],
  context: IWorkspaceRowContext
): HTMLElement[] {
  return workspaces.map(ws => workspaceRow(ws, context));
}

/**
 * One workspace row; `data-state` carries the state for tests and styles.
 * Buttons carry `data-action` and `data-name`; the section handles clicks.
 */
function workspaceRow(
  ws: IWorkspace,
  context: IWorkspaceRowContext
): HTMLElement {
  const isActive = ws.name === context.active;
  const details: HTMLElement[] = [];
  const signIn = context.signIn(ws.name);
  // While a sign-in is under way its panel says what is going on: the detail would repeat it.
  if (ws.detail && !Private.pending(signIn)) {
    details.push(
      h(
        'div',
        {
          class: 'jp-aml-workspace-detail',
          role: ws.state === 'error' ? 'alert' : undefined
        },
        ws.detail
      )
    );
  }
  const identity = identityLine(ws, context.now);
  if (identity) {
    details.push(h('div', { class: 'jp-aml-workspace-identity' }, identity));
  }
  // A sign-in that worked but left the workspace in error (e.g. ARM: not found) is not the
  // problem: the row's own error says what is, once.
  const signedInAfterAll = signIn?.phase === 'failed' && !!ws.identity;
  if (signIn && !signedInAfterAll) {
    details.push(signInPanel(ws.name, signIn, context.now));
  }
  const actions = h('span', { class: 'jp-aml-workspace-actions' });
  if (canSignIn(ws) && !Private.pending(signIn)) {
    actions.append(
      actionButton('sign-in', ws.name, 'Sign in', `Sign in to ${ws.name}`)
    );
  }
  if (ws.kind !== 'local') {
    actions.append(
      actionButton('remove', ws.name, '✕', `Remove workspace ${ws.name}`)
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
      stateBadge(ws.state),
      actions
    ),
    ...details
  );
}

/**
 * "Signed in as … · token renews in 42 min", or null when nobody is signed in.
 */
export function identityLine(ws: IWorkspace, now: number): string | null {
  if (!ws.identity) {
    return null;
  }
  const parts = [`Signed in as ${ws.identity}`];
  if (ws.token_expires_on) {
    const when = ws.token_expires_on * 1000;
    parts.push(
      when > now
        ? `token renews ${timeUntil(when, now)}`
        : `token expired ${timeUntil(when, now)}`
    );
  }
  return parts.join(' · ');
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
 * "Detected in <source>: <workspace> — Add" for each config file found.
 */
export function detectedRows(
  detected: readonly IDetectedWorkspace[]
): HTMLElement[] {
  return detected.map((d, index) =>
    h(
      'li',
      {
        class: 'jp-aml-detected',
        'data-name': d.name,
        title: `Subscription ${d.subscription_id}, resource group ${d.resource_group}`
      },
      h(
        'span',
        { class: 'jp-aml-detected-text' },
        `Detected in ${d.source}: `,
        h('strong', {}, d.workspace_name)
      ),
      actionButton(
        'add-detected',
        String(index),
        'Add',
        `Add Azure ML workspace ${d.workspace_name} as "${d.name}" (default credential)`
      )
    )
  );
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

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Whether a sign-in is under way (its panel shows progress instead of a button).
   */
  export function pending(state: ISignInState | undefined): boolean {
    return (
      state?.phase === 'requesting' ||
      state?.phase === 'device-code' ||
      state?.phase === 'waiting'
    );
  }
}

import { IWorkspace } from '../tokens';

/**
 * What to do next when a workspace has no experiments.
 */
export const EMPTY_EXPERIMENTS_TEXT =
  'No experiments yet. Run `import mlflow; mlflow.log_metric("loss", 1)` in a notebook to start.';

/**
 * The note shown in place of (or under) the experiment list, or null for none.
 */
export function experimentsNote(
  workspace: IWorkspace | null,
  loaded: boolean,
  count: number,
  hasMore: boolean
): string | null {
  if (!workspace) {
    return null;
  }
  if (!loaded) {
    switch (workspace.state) {
      case 'starting':
        return `Workspace "${workspace.name}" is starting; its experiments appear when it is ready.`;
      case 'signed_out':
        return `Sign in to workspace "${workspace.name}" to see its experiments.`;
      case 'error':
        return `Workspace "${workspace.name}" cannot be reached; see its error above.`;
      default:
        return 'Loading experiments…';
    }
  }
  if (count === 0) {
    return EMPTY_EXPERIMENTS_TEXT;
  }
  return hasMore ? `Showing the first ${count} experiments.` : null;
}

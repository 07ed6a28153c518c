import { IRun } from './tokens';

/**
 * Where a run came from: its notebook, cell and kernel.
 */
export interface IRunProvenance {
  /** `mlflow.source.name`, as tagged. */
  sourceName: string | null;
  /** The source when it is a notebook path relative to the server root (openable). */
  notebookPath: string | null;
  /** The id of the cell that started the run (`jupyterlab_aml.cell_id`). */
  cellId: string | null;
  /** The execution count of that cell (`jupyterlab_aml.execution_count`). */
  executionCount: string | null;
  /** The kernel that logged the run (`jupyterlab_aml.kernel_id`). */
  kernelId: string | null;
  /** `mlflow.user`. */
  user: string | null;
}

/**
 * The provenance of a run, from its tags.
 */
export function runProvenance(run: IRun | null): IRunProvenance {
  const tags = run?.tags ?? {};
  const tag = (key: string) => tags[key] || null;
  const sourceName = tag('mlflow.source.name');
  const isNotebook =
    tag('mlflow.source.type') === 'NOTEBOOK' ||
    /\.ipynb$/i.test(sourceName ?? '');
  // Absolute or remote names (a Databricks workspace path, a URL) are not ours to open.
  const relative =
    sourceName !== null && !/^([a-z][\w+.-]*:|[/\\~])/i.test(sourceName);
  return {
    sourceName,
    notebookPath: isNotebook && relative ? sourceName : null,
    cellId: tag('jupyterlab_aml.cell_id'),
    executionCount: tag('jupyterlab_aml.execution_count'),
    kernelId: tag('jupyterlab_aml.kernel_id'),
    user: tag('mlflow.user')
  };
}

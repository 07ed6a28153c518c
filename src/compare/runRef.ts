/**
 * Which run a comparison holds: runs come from any experiment of any
 * workspace, so a run id alone is not enough.
 */

/**
 * A run in a comparison, as the `jupyterlab-aml:compare` command takes it.
 */
export interface IRunRef {
  workspace: string;
  run_id: string;
}

/**
 * The map key of a run reference.
 */
export function runKey(ref: IRunRef): string {
  return JSON.stringify([ref.workspace, ref.run_id]);
}

/**
 * The well-formed run references in a command argument, without repeats, in
 * their order; anything else in it is dropped.
 */
export function parseRunRefs(value: unknown): IRunRef[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const seen = new Set<string>();
  const refs: IRunRef[] = [];
  for (const item of value) {
    const workspace = (item as any)?.workspace;
    const runId = (item as any)?.run_id;
    if (
      typeof workspace !== 'string' ||
      typeof runId !== 'string' ||
      !workspace ||
      !runId
    ) {
      continue;
    }
    const ref = { workspace, run_id: runId };
    const key = runKey(ref);
    if (!seen.has(key)) {
      seen.add(key);
      refs.push(ref);
    }
  }
  return refs;
}

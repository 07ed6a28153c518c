/**
 * What `revealCell` needs of a notebook panel (a JupyterLab `NotebookPanel`
 * fits), so that this package does not depend on `@jupyterlab/notebook`.
 */
export interface INotebookPanelLike {
  /** Resolves once the notebook's content is loaded. */
  readonly context?: { readonly ready: Promise<void> };
  /** Resolves once the panel is shown. */
  readonly revealed?: Promise<void>;
  readonly content: {
    readonly widgets: ReadonlyArray<{
      readonly model: { readonly id: string };
    }>;
    activeCellIndex: number;
    scrollToItem?(
      index: number,
      align?: 'auto' | 'smart' | 'center' | 'top-center' | 'start' | 'end'
    ): Promise<void>;
  };
}

/**
 * Make the cell with model id `cellId` active and scroll it into view, once the
 * notebook is loaded; whether the cell was found.
 *
 * Wire it after `docmanager:open`, which returns the panel:
 * `const panel = await app.commands.execute('docmanager:open', { path });
 *  if (cellId) { await revealCell(panel, cellId); }`
 */
export async function revealCell(
  panel: INotebookPanelLike,
  cellId: string
): Promise<boolean> {
  await panel.context?.ready;
  await panel.revealed;
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
  if (index < 0) {
    return false;
  }
  notebook.activeCellIndex = index;
  await notebook.scrollToItem?.(index, 'center');
  return true;
}

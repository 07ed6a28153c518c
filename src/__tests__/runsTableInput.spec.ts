import { Signal } from '@lumino/signaling';

import { until } from './fakeServer';
import { runsTableFixture } from './fakeRunsTable';

/**
 * What the runs grid's pointer and keys do: selection, the focus row,
 * opening a run, sorting, and handing the selection to the compare view.
 */
describe('RunsTable input', () => {
  const t = runsTableFixture();

  it('hands two or more selected runs to the compare view, in table order', async () => {
    let available = false;
    const changed = new Signal<unknown, void>({});
    const execute = jest.fn();
    await t.create(10, 10, { isAvailable: () => available, execute, changed });
    const button = t.table.node.querySelector<HTMLButtonElement>(
      '.jp-aml-runs-compare'
    )!;
    // Every row names its run and workspace, for context menus.
    expect(t.row('r3').dataset.workspace).toBe('local');
    expect(t.row('r3').dataset.runId).toBe('r3');

    t.click('r4');
    t.click('r1', { ctrlKey: true });
    expect(button.textContent).toBe('Compare (2)');
    expect(button.disabled).toBe(true); // no compare view yet
    available = true;
    changed.emit();
    expect(button.disabled).toBe(false);
    button.click();
    expect(execute).toHaveBeenCalledWith([
      { workspace: 'local', run_id: 'r1' },
      { workspace: 'local', run_id: 'r4' }
    ]);
    t.click('r1');
    expect(button.textContent).toBe('Compare (1)');
    expect(button.disabled).toBe(true);
  });

  it('has no compare button without a compare view', async () => {
    await t.create(3);
    expect(
      t.table.node.querySelector<HTMLElement>('.jp-aml-runs-compare')!.hidden
    ).toBe(true);
  });

  it('selects with click, ctrl-click and shift-click', async () => {
    await t.create(20);
    const selected: number[] = [];
    t.table.selectionChanged.connect((_, ids) => selected.push(ids.size));

    t.click('r2');
    t.click('r5', { ctrlKey: true });
    expect(t.grid().dataset.selectedCount).toBe('2');
    expect(t.row('r5').getAttribute('aria-selected')).toBe('true');

    t.click('r8', { shiftKey: true });
    expect([...t.model.selection.ids]).toEqual(['r5', 'r6', 'r7', 'r8']);
    expect(t.grid().dataset.selectedCount).toBe('4');
    expect(t.row('r2').getAttribute('aria-selected')).toBe('false');
    expect(selected).toEqual([1, 2, 4]);
  });

  it('moves focus with arrows and selects with Space, Shift and Enter', async () => {
    await t.create(100);
    const activated: string[] = [];
    t.table.runActivated.connect((_, r) => activated.push(r.run_id));

    t.key('ArrowDown');
    t.key('ArrowDown');
    expect(t.table.focusIndex).toBe(2);
    expect(t.row('r2').classList.contains('jp-mod-focused')).toBe(true);
    expect(t.grid().getAttribute('aria-activedescendant')).toBe(t.row('r2').id);
    expect(t.grid().dataset.selectedCount).toBe('0');

    t.key(' ');
    t.key('ArrowDown', { shiftKey: true });
    t.key('ArrowDown', { shiftKey: true });
    expect([...t.model.selection.ids]).toEqual(['r2', 'r3', 'r4']);

    t.key('Enter');
    expect(activated).toEqual(['r4']);
    expect([...t.model.selection.ids]).toEqual(['r4']);

    t.key('a', { ctrlKey: true });
    expect(t.grid().dataset.selectedCount).toBe('100');
    t.key('Escape');
    expect(t.grid().dataset.selectedCount).toBe('0');

    t.key('End');
    expect(t.table.focusIndex).toBe(99);
    expect(t.rowIds()).toContain('r99');
    t.key('Home');
    expect(t.table.focusIndex).toBe(0);
    expect(t.grid().scrollTop).toBe(0);
  });

  it('opens a run on double click', async () => {
    await t.create(3);
    const activated: string[] = [];
    t.table.runActivated.connect((_, r) => activated.push(r.run_id));

    t.row('r1').dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));

    expect(activated).toEqual(['r1']);
  });

  it('sorts by a clicked header, toggling the direction', async () => {
    await t.create(3);
    const sortButton = (column: string) =>
      t
        .grid()
        .querySelector<HTMLElement>(
          `[data-column="${column}"] .jp-aml-runs-sort`
        )!;
    const header = (column: string) =>
      t.grid().querySelector<HTMLElement>(`[data-column="${column}"]`)!;
    expect(header('start').getAttribute('aria-sort')).toBe('descending');

    sortButton('metrics.loss').click();
    expect(t.model.sort).toEqual({ column: 'metrics.loss', direction: 'DESC' });
    expect(header('metrics.loss').getAttribute('aria-sort')).toBe('descending');
    expect(header('start').getAttribute('aria-sort')).toBe('none');

    sortButton('metrics.loss').click();
    await until(t.model.stateChanged, () => !t.model.loading);
    expect(t.model.sort.direction).toBe('ASC');
    const last = t.server.requests[t.server.requests.length - 1];
    expect(last.url.searchParams.get('order_by')).toBe('metrics.loss ASC');
    expect(
      t.grid().querySelector('[data-column="duration"] .jp-aml-runs-sort')
    ).toBeNull();
  });
});

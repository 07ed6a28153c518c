import { Signal } from '@lumino/signaling';
import { Widget } from '@lumino/widgets';

import { AmlClient } from '../api';
import { WorkspacesModel } from '../model';
import { RunsModel } from '../runsModel';
import { IRun } from '../tokens';
import { EMPTY_RUNS_TEXT } from '../widgets/runColumns';
import { RunsSection } from '../widgets/runsSection';
import { RunsTable } from '../widgets/runsTable';
import { pagedRuns, run } from './fakeRuns';
import {
  experiment,
  FakeServer,
  until,
  workspace,
  workspaceList
} from './fakeServer';

const RUNS = 'api/workspaces/local/runs';
const ROW = RunsTable.ROW_HEIGHT;

describe('RunsTable', () => {
  let server: FakeServer;
  let model: RunsModel;
  let table: RunsTable;
  let runs: IRun[];

  const create = async (
    count: number,
    pageSize = count,
    compare?: RunsTable.IOptions['compare']
  ) => {
    runs = Array.from({ length: count }, (_, i) => run(i));
    server.on(
      'GET',
      RUNS,
      pagedRuns(() => runs)
    );
    model = new RunsModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      autoStart: false,
      pollInterval: 60 * 1000,
      standby: 'never',
      pageSize
    });
    table = new RunsTable({
      model,
      now: () => 1700000000000 + 180 * 1000,
      compare
    });
    Widget.attach(table, document.body);
    model.setScope('local', ['1']);
    await until(model.stateChanged, () => model.loaded && !model.loading);
  };
  const grid = () => table.node.querySelector<HTMLElement>('[role="grid"]')!;
  const rows = () =>
    Array.from(grid().querySelectorAll<HTMLElement>('.jp-aml-runs-row'));
  const rowIds = () => rows().map(r => r.dataset.runId!);
  const row = (id: string) => rows().find(r => r.dataset.runId === id)!;
  const scrollTo = (top: number) => {
    grid().scrollTop = top;
    grid().dispatchEvent(new Event('scroll'));
  };
  const key = (key: string, init: KeyboardEventInit = {}) =>
    grid().dispatchEvent(
      new KeyboardEvent('keydown', { key, bubbles: true, ...init })
    );
  const click = (id: string, init: MouseEventInit = {}) =>
    row(id)
      .querySelector('.jp-aml-runs-cell-name')!
      .dispatchEvent(new MouseEvent('click', { bubbles: true, ...init }));

  beforeEach(() => {
    server = new FakeServer();
  });

  afterEach(() => {
    table?.dispose();
    model?.dispose();
  });

  it('puts only a window of 10,000 rows into the DOM', async () => {
    await create(10000);

    const rendered = rows().length;
    expect(grid().dataset.totalLoaded).toBe('10000');
    expect(grid().dataset.renderedRows).toBe(String(rendered));
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(60);
    expect(rowIds()).toContain('r0');
    const body = grid().querySelector<HTMLElement>('.jp-aml-runs-body')!;
    expect(body.style.height).toBe(`${10000 * ROW}px`);
    expect(grid().getAttribute('aria-rowcount')).toBe('10001');
  });

  it('renders the rows in view as it scrolls', async () => {
    await create(10000);

    scrollTo(5000 * ROW);

    const ids = rowIds();
    expect(ids).toContain('r5000');
    expect(ids).not.toContain('r0');
    expect(Number(grid().dataset.renderedRows)).toBe(ids.length);
    expect(ids.length).toBeLessThan(60);
    expect(row('r5000').style.transform).toBe(`translateY(${5000 * ROW}px)`);
    expect(row('r5000').getAttribute('aria-rowindex')).toBe('5002');

    scrollTo(9999 * ROW);
    expect(rowIds()).toContain('r9999');
    expect(rowIds()).not.toContain('r5000');
  });

  it('shows status, name, relative start, duration and the chosen columns', async () => {
    await create(3);
    runs[0] = run(0, { status: 'RUNNING', end_time: null });
    model.upsertRun(runs[0]);

    const cells = (id: string) =>
      Array.from(row(id).children).map(c => c.textContent);
    const status = (id: string) =>
      row(id).querySelector('[role="img"]')!.getAttribute('aria-label');
    expect(status('r0')).toBe('Running');
    expect(status('r1')).toBe('Finished');
    // The clock is 3 minutes after r0 started.
    expect(cells('r0').slice(1, 4)).toEqual(['run-0', '3 min ago', '3 min']);
    expect(cells('r1').slice(1, 4)).toEqual(['run-1', '3 min ago', '500 ms']);
    const header = Array.from(
      grid().querySelectorAll('[role="columnheader"]')
    ).map(c => (c as HTMLElement).dataset.column);
    expect(header).toEqual([
      'status',
      'name',
      'start',
      'duration',
      'metrics.acc',
      'metrics.loss'
    ]);
    expect(cells('r1').slice(4)).toEqual(['1', '0.5']);
  });

  it('hands two or more selected runs to the compare view, in table order', async () => {
    let available = false;
    const changed = new Signal<unknown, void>({});
    const execute = jest.fn();
    await create(10, 10, { isAvailable: () => available, execute, changed });
    const button = table.node.querySelector<HTMLButtonElement>(
      '.jp-aml-runs-compare'
    )!;
    // Every row names its run and workspace, for context menus.
    expect(row('r3').dataset.workspace).toBe('local');
    expect(row('r3').dataset.runId).toBe('r3');

    click('r4');
    click('r1', { ctrlKey: true });
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
    click('r1');
    expect(button.textContent).toBe('Compare (1)');
    expect(button.disabled).toBe(true);
  });

  it('has no compare button without a compare view', async () => {
    await create(3);
    expect(
      table.node.querySelector<HTMLElement>('.jp-aml-runs-compare')!.hidden
    ).toBe(true);
  });

  it('selects with click, ctrl-click and shift-click', async () => {
    await create(20);
    const selected: number[] = [];
    table.selectionChanged.connect((_, ids) => selected.push(ids.size));

    click('r2');
    click('r5', { ctrlKey: true });
    expect(grid().dataset.selectedCount).toBe('2');
    expect(row('r5').getAttribute('aria-selected')).toBe('true');

    click('r8', { shiftKey: true });
    expect([...model.selection.ids]).toEqual(['r5', 'r6', 'r7', 'r8']);
    expect(grid().dataset.selectedCount).toBe('4');
    expect(row('r2').getAttribute('aria-selected')).toBe('false');
    expect(selected).toEqual([1, 2, 4]);
  });

  it('moves focus with arrows and selects with Space, Shift and Enter', async () => {
    await create(100);
    const activated: string[] = [];
    table.runActivated.connect((_, r) => activated.push(r.run_id));

    key('ArrowDown');
    key('ArrowDown');
    expect(table.focusIndex).toBe(2);
    expect(row('r2').classList.contains('jp-mod-focused')).toBe(true);
    expect(grid().getAttribute('aria-activedescendant')).toBe(row('r2').id);
    expect(grid().dataset.selectedCount).toBe('0');

    key(' ');
    key('ArrowDown', { shiftKey: true });
    key('ArrowDown', { shiftKey: true });
    expect([...model.selection.ids]).toEqual(['r2', 'r3', 'r4']);

    key('Enter');
    expect(activated).toEqual(['r4']);
    expect([...model.selection.ids]).toEqual(['r4']);

    key('a', { ctrlKey: true });
    expect(grid().dataset.selectedCount).toBe('100');
    key('Escape');
    expect(grid().dataset.selectedCount).toBe('0');

    key('End');
    expect(table.focusIndex).toBe(99);
    expect(rowIds()).toContain('r99');
    key('Home');
    expect(table.focusIndex).toBe(0);
    expect(grid().scrollTop).toBe(0);
  });

  it('opens a run on double click', async () => {
    await create(3);
    const activated: string[] = [];
    table.runActivated.connect((_, r) => activated.push(r.run_id));

    row('r1').dispatchEvent(new MouseEvent('dblclick', { bubbles: true }));

    expect(activated).toEqual(['r1']);
  });

  it('sorts by a clicked header, toggling the direction', async () => {
    await create(3);
    const sortButton = (column: string) =>
      grid().querySelector<HTMLElement>(
        `[data-column="${column}"] .jp-aml-runs-sort`
      )!;
    const header = (column: string) =>
      grid().querySelector<HTMLElement>(`[data-column="${column}"]`)!;
    expect(header('start').getAttribute('aria-sort')).toBe('descending');

    sortButton('metrics.loss').click();
    expect(model.sort).toEqual({ column: 'metrics.loss', direction: 'DESC' });
    expect(header('metrics.loss').getAttribute('aria-sort')).toBe('descending');
    expect(header('start').getAttribute('aria-sort')).toBe('none');

    sortButton('metrics.loss').click();
    await until(model.stateChanged, () => !model.loading);
    expect(model.sort.direction).toBe('ASC');
    const last = server.requests[server.requests.length - 1];
    expect(last.url.searchParams.get('order_by')).toBe('metrics.loss ASC');
    expect(
      grid().querySelector('[data-column="duration"] .jp-aml-runs-sort')
    ).toBeNull();
  });

  it('applies the filter on Enter and shows its error inline', async () => {
    await create(3);
    server.on('GET', RUNS, request =>
      request.url.searchParams.get('filter')
        ? { status: 400, body: { message: "Invalid clause 'loss <'" } }
        : pagedRuns(() => runs)(request)
    );
    const input = table.node.querySelector<HTMLInputElement>(
      '.jp-aml-runs-filter'
    )!;
    expect(input.placeholder).toBe("metrics.loss < 0.5 and params.lr = '0.01'");

    input.value = 'loss <';
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await until(model.stateChanged, () => model.filterError !== null);

    const error = table.node.querySelector<HTMLElement>(
      '.jp-aml-runs-filter-error'
    )!;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("Invalid clause 'loss <'");
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(grid().dataset.totalLoaded).toBe('3');
  });

  it('adds a param column from the column picker', async () => {
    await create(3);
    const box = table.node.querySelector<HTMLInputElement>(
      '.jp-aml-runs-columns input[value="params.lr"]'
    )!;

    box.checked = true;
    box.dispatchEvent(new Event('change', { bubbles: true }));

    expect(model.columns).toEqual(['metrics.acc', 'metrics.loss', 'params.lr']);
    expect(Array.from(row('r2').children).map(c => c.textContent)[6]).toBe(
      '0.02'
    );
  });

  it('loads the next page as the end of the loaded rows comes into view', async () => {
    await create(250, 100);
    expect(grid().dataset.totalLoaded).toBe('100');
    expect(grid().dataset.hasMore).toBe('true');

    scrollTo(90 * ROW);
    await until(model.stateChanged, () => model.runs.length === 200);

    expect(grid().dataset.totalLoaded).toBe('200');
    expect(server.calls('GET', RUNS)).toHaveLength(2);
  });

  it('keeps the rows in view when new runs arrive on top', async () => {
    await create(500);
    scrollTo(200 * ROW);
    const before = rowIds();

    runs = [run(-2), run(-1), ...runs];
    await model.refresh();

    expect(grid().scrollTop).toBe(202 * ROW);
    expect(rowIds()).toContain('r200');
    expect(model.runs[0].run_id).toBe('r-2');
    expect(before).toContain('r200');
  });

  it('says what to do next when an experiment has no runs', async () => {
    await create(0);

    const note = table.node.querySelector<HTMLElement>('.jp-aml-runs-note')!;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe(EMPTY_RUNS_TEXT);
    expect(note.textContent).toContain('mlflow.log_metric("loss", 1)');
    expect(grid().dataset.renderedRows).toBe('0');
  });

  it('disposes safely twice', async () => {
    await create(3);

    table.dispose();
    table.dispose();

    expect(table.isDisposed).toBe(true);
  });
});

describe('RunsSection', () => {
  it('scopes the runs to the picked experiments of the active workspace', async () => {
    const server = new FakeServer();
    server
      .on('GET', 'api/workspaces', {
        body: workspaceList([workspace('local')])
      })
      .on('GET', 'api/workspaces/local/experiments', {
        body: {
          experiments: [
            { ...experiment('0', 'Default'), last_update_time: 1 },
            { ...experiment('3', 'mnist'), last_update_time: 5 }
          ],
          next_page_token: null
        }
      })
      .on(
        'GET',
        RUNS,
        pagedRuns(() => [run(0)])
      );
    const client = new AmlClient({ serverSettings: server.settings() });
    const options = { client, autoStart: false, standby: 'never' as const };
    const workspaces = new WorkspacesModel(options);
    const runs = new RunsModel(options);
    const section = new RunsSection({ workspaces, runs });

    await workspaces.refresh();
    await until(runs.stateChanged, () => runs.loaded);

    // The experiment updated last is picked at first.
    expect(runs.experimentIds).toEqual(['3']);
    const boxes = Array.from(
      section.node.querySelectorAll<HTMLInputElement>(
        '.jp-aml-runs-experiment input'
      )
    );
    expect(boxes.map(b => [b.value, b.checked])).toEqual([
      ['0', false],
      ['3', true]
    ]);

    boxes[0].checked = true;
    boxes[0].dispatchEvent(new Event('change', { bubbles: true }));
    await until(runs.stateChanged, () => !runs.loading);

    expect(runs.experimentIds).toEqual(['0', '3']);
    const last = server.calls('GET', RUNS).pop()!;
    expect(last.url.searchParams.get('experiment_ids')).toBe('0,3');
    section.dispose();
    section.dispose();
    runs.dispose();
    workspaces.dispose();
  });
});

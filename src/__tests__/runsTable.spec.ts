import { AmlClient } from '../api';
import { WorkspacesModel } from '../model';
import { RunsModel } from '../runsModel';
import { EMPTY_RUNS_TEXT } from '../widgets/runColumns';
import { RunsSection } from '../widgets/runsSection';
import { pagedRuns, run } from './fakeRuns';
import { ROW, RUNS, runsTableFixture } from './fakeRunsTable';
import {
  experiment,
  FakeServer,
  until,
  workspace,
  workspaceList
} from './fakeServer';

describe('RunsTable', () => {
  const t = runsTableFixture();

  it('puts only a window of 10,000 rows into the DOM', async () => {
    await t.create(10000);

    const rendered = t.rows().length;
    expect(t.grid().dataset.totalLoaded).toBe('10000');
    expect(t.grid().dataset.renderedRows).toBe(String(rendered));
    expect(rendered).toBeGreaterThan(10);
    expect(rendered).toBeLessThan(60);
    expect(t.rowIds()).toContain('r0');
    const body = t.grid().querySelector<HTMLElement>('.jp-aml-runs-body')!;
    expect(body.style.height).toBe(`${10000 * ROW}px`);
    expect(t.grid().getAttribute('aria-rowcount')).toBe('10001');
  });

  it('renders the rows in view as it scrolls', async () => {
    await t.create(10000);

    t.scrollTo(5000 * ROW);

    const ids = t.rowIds();
    expect(ids).toContain('r5000');
    expect(ids).not.toContain('r0');
    expect(Number(t.grid().dataset.renderedRows)).toBe(ids.length);
    expect(ids.length).toBeLessThan(60);
    expect(t.row('r5000').style.transform).toBe(`translateY(${5000 * ROW}px)`);
    expect(t.row('r5000').getAttribute('aria-rowindex')).toBe('5002');

    t.scrollTo(9999 * ROW);
    expect(t.rowIds()).toContain('r9999');
    expect(t.rowIds()).not.toContain('r5000');
  });

  it('shows status, name, relative start, duration and the chosen columns', async () => {
    await t.create(3);
    t.runs[0] = run(0, { status: 'RUNNING', end_time: null });
    t.model.upsertRun(t.runs[0]);

    const cells = (id: string) =>
      Array.from(t.row(id).children).map(c => c.textContent);
    const status = (id: string) =>
      t.row(id).querySelector('[role="img"]')!.getAttribute('aria-label');
    expect(status('r0')).toBe('Running');
    expect(status('r1')).toBe('Finished');
    // The clock is 3 minutes after r0 started.
    expect(cells('r0').slice(1, 4)).toEqual(['run-0', '3 min ago', '3 min']);
    expect(cells('r1').slice(1, 4)).toEqual(['run-1', '3 min ago', '500 ms']);
    const header = Array.from(
      t.grid().querySelectorAll('[role="columnheader"]')
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

  it('applies the filter on Enter and shows its error inline', async () => {
    await t.create(3);
    t.server.on('GET', RUNS, request =>
      request.url.searchParams.get('filter')
        ? { status: 400, body: { message: "Invalid clause 'loss <'" } }
        : pagedRuns(() => t.runs)(request)
    );
    const input = t.table.node.querySelector<HTMLInputElement>(
      '.jp-aml-runs-filter'
    )!;
    expect(input.placeholder).toBe("metrics.loss < 0.5 and params.lr = '0.01'");

    input.value = 'loss <';
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    await until(t.model.stateChanged, () => t.model.filterError !== null);

    const error = t.table.node.querySelector<HTMLElement>(
      '.jp-aml-runs-filter-error'
    )!;
    expect(error.hidden).toBe(false);
    expect(error.textContent).toBe("Invalid clause 'loss <'");
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(t.grid().dataset.totalLoaded).toBe('3');
  });

  it('adds a param column from the column picker', async () => {
    await t.create(3);
    const box = t.table.node.querySelector<HTMLInputElement>(
      '.jp-aml-runs-columns input[value="params.lr"]'
    )!;

    box.checked = true;
    box.dispatchEvent(new Event('change', { bubbles: true }));

    expect(t.model.columns).toEqual([
      'metrics.acc',
      'metrics.loss',
      'params.lr'
    ]);
    expect(Array.from(t.row('r2').children).map(c => c.textContent)[6]).toBe(
      '0.02'
    );
  });

  it('loads the next page as the end of the loaded rows comes into view', async () => {
    await t.create(250, 100);
    expect(t.grid().dataset.totalLoaded).toBe('100');
    expect(t.grid().dataset.hasMore).toBe('true');

    t.scrollTo(90 * ROW);
    await until(t.model.stateChanged, () => t.model.runs.length === 200);

    expect(t.grid().dataset.totalLoaded).toBe('200');
    expect(t.server.calls('GET', RUNS)).toHaveLength(2);
  });

  it('keeps the rows in view when new runs arrive on top', async () => {
    await t.create(500);
    t.scrollTo(200 * ROW);
    const before = t.rowIds();

    t.runs = [run(-2), run(-1), ...t.runs];
    await t.model.refresh();

    expect(t.grid().scrollTop).toBe(202 * ROW);
    expect(t.rowIds()).toContain('r200');
    expect(t.model.runs[0].run_id).toBe('r-2');
    expect(before).toContain('r200');
  });

  it('says what to do next when an experiment has no runs', async () => {
    await t.create(0);

    const note = t.table.node.querySelector<HTMLElement>('.jp-aml-runs-note')!;
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe(EMPTY_RUNS_TEXT.replace(/`/g, ''));
    expect(note.querySelector('code')?.textContent).toBe(
      'import mlflow; mlflow.log_metric("loss", 1)'
    );
    expect(note.textContent).toContain('mlflow.log_metric("loss", 1)');
    expect(t.grid().dataset.renderedRows).toBe('0');
  });

  it('disposes safely twice', async () => {
    await t.create(3);

    t.table.dispose();
    t.table.dispose();

    expect(t.table.isDisposed).toBe(true);
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

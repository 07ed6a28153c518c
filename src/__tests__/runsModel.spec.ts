import { PromiseDelegate } from '@lumino/coreutils';

import { AmlClient } from '../api';
import { RunsModel } from '../runsModel';
import { FakeServer, IReply, until } from './fakeServer';
import { pagedRuns, run } from './fakeRuns';

const RUNS = 'api/workspaces/local/runs';

const last = <T>(items: T[]): T => items[items.length - 1];

describe('RunsModel', () => {
  let server: FakeServer;
  let model: RunsModel;

  const createModel = (options: Partial<RunsModel.IOptions> = {}) => {
    model = new RunsModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      autoStart: false,
      pollInterval: 60 * 1000,
      standby: 'never',
      ...options
    });
    return model;
  };
  const ids = () => model.runs.map(r => r.run_id);
  const loadScope = async () => {
    model.setScope('local', ['1']);
    await until(model.stateChanged, () => model.loaded && !model.loading);
  };

  beforeEach(() => {
    server = new FakeServer();
  });

  afterEach(() => {
    model?.dispose();
  });

  it('loads the first page of the picked experiments, newest first', async () => {
    const runs = Array.from({ length: 3 }, (_, i) => run(i));
    server.on(
      'GET',
      RUNS,
      pagedRuns(() => runs)
    );
    createModel();

    await loadScope();

    expect(ids()).toEqual(['r0', 'r1', 'r2']);
    expect(model.hasMore).toBe(false);
    const params = server.calls('GET', RUNS)[0].url.searchParams;
    expect(params.get('experiment_ids')).toBe('1');
    expect(params.get('order_by')).toBe('attributes.start_time DESC');
    expect(params.get('max_results')).toBe('100');
    expect(params.has('filter')).toBe(false);
  });

  it('turns the sort into order_by, quoting keys that are not plain words', async () => {
    server.on(
      'GET',
      RUNS,
      pagedRuns(() => [run(0)])
    );
    createModel();
    await loadScope();
    const orderBy = () =>
      last(server.calls('GET', RUNS)).url.searchParams.get('order_by');

    model.sort = { column: 'metrics.loss', direction: 'ASC' };
    await until(model.stateChanged, () => !model.loading);
    expect(orderBy()).toBe('metrics.loss ASC');

    model.sort = { column: 'metrics.train/loss', direction: 'DESC' };
    await until(model.stateChanged, () => !model.loading);
    expect(orderBy()).toBe('metrics.`train/loss` DESC');

    model.sort = { column: 'params.lr', direction: 'ASC' };
    await until(model.stateChanged, () => !model.loading);
    expect(orderBy()).toBe('params.lr ASC');
    expect(model.orderBy).toBe('params.lr ASC');
  });

  it('keeps the previous rows and shows the 400 message when a filter is rejected', async () => {
    server.on('GET', RUNS, request => {
      const filter = request.url.searchParams.get('filter');
      if (filter === 'metrics.loss <') {
        return {
          status: 400,
          body: { message: "Invalid filter 'metrics.loss <': expected a value" }
        };
      }
      const runs = [run(0), run(1), run(2)];
      return {
        body: {
          runs: filter ? runs.filter(r => Number(r.metrics.loss) < 0.6) : runs,
          next_page_token: null
        }
      };
    });
    createModel();
    await loadScope();

    model.filter = 'metrics.loss <';
    await until(model.stateChanged, () => model.filterError !== null);

    expect(model.filterError).toBe(
      "Invalid filter 'metrics.loss <': expected a value"
    );
    expect(ids()).toEqual(['r0', 'r1', 'r2']);
    expect(model.filter).toBe('metrics.loss <');
    expect(model.appliedFilter).toBe('');
    expect(model.error).toBeNull();

    // A poll tick refreshes the rows it shows; it does not retry the bad filter.
    const before = server.requests.length;
    await model.refresh();
    const tick = server.requests.slice(before);
    expect(tick).toHaveLength(1);
    expect(tick[0].url.searchParams.has('filter')).toBe(false);
    expect(model.filterError).not.toBeNull();

    model.filter = 'metrics.loss < 0.6';
    await until(model.stateChanged, () => model.filterError === null);
    await until(model.stateChanged, () => !model.loading);

    expect(ids()).toEqual(['r1', 'r2']);
    expect(model.appliedFilter).toBe('metrics.loss < 0.6');
  });

  it('clears the filter error when the filter goes back to the shown one', async () => {
    server.on('GET', RUNS, request =>
      request.url.searchParams.get('filter')
        ? { status: 400, body: { message: 'bad filter' } }
        : { body: { runs: [run(0)], next_page_token: null } }
    );
    createModel();
    await loadScope();
    model.filter = 'nonsense';
    await until(model.stateChanged, () => model.filterError !== null);

    model.filter = '';

    expect(model.filterError).toBeNull();
    expect(ids()).toEqual(['r0']);
  });

  it('pages on demand and merges refreshed first pages without duplicates', async () => {
    let runs = Array.from({ length: 250 }, (_, i) => run(i + 1));
    server.on(
      'GET',
      RUNS,
      pagedRuns(() => runs)
    );
    createModel();
    await loadScope();
    expect(model.runs).toHaveLength(100);
    expect(model.hasMore).toBe(true);

    await model.loadMore();
    expect(model.runs).toHaveLength(200);

    // A new run starts: every server offset shifts by one.
    runs = [run(0), ...runs];
    const before = server.requests.length;
    await model.refresh();
    expect(server.requests.length - before).toBe(1);
    expect(last(server.requests).url.searchParams.has('page_token')).toBe(
      false
    );
    expect(model.runs).toHaveLength(201);
    expect(model.runs[0].run_id).toBe('r0');

    await model.loadMore();

    expect(new Set(ids()).size).toBe(model.runs.length);
    expect(ids()).toEqual(runs.map(r => r.run_id));
    expect(model.hasMore).toBe(false);
  });

  it('shares one request between concurrent loadMore calls', async () => {
    const runs = Array.from({ length: 150 }, (_, i) => run(i));
    server.on(
      'GET',
      RUNS,
      pagedRuns(() => runs)
    );
    createModel();
    await loadScope();

    await Promise.all([model.loadMore(), model.loadMore(), model.loadMore()]);

    expect(server.calls('GET', RUNS)).toHaveLength(2);
    expect(model.runs).toHaveLength(150);
  });

  it('ignores a slow response to an older query', async () => {
    const slow = new PromiseDelegate<IReply>();
    server.on('GET', RUNS, request => {
      const filter = request.url.searchParams.get('filter');
      if (filter === 'params.lr = "0.01"') {
        return slow.promise;
      }
      const runs = filter ? [run(7)] : [run(0), run(1)];
      return { body: { runs, next_page_token: null } };
    });
    createModel();
    await loadScope();

    model.filter = 'params.lr = "0.01"';
    await until(model.stateChanged, () => model.loading);
    model.filter = 'metrics.acc = 7';
    await until(model.stateChanged, () => model.appliedFilter !== '');
    slow.resolve({ body: { runs: [run(1)], next_page_token: null } });
    await new Promise(resolve => setTimeout(resolve, 20));

    expect(ids()).toEqual(['r7']);
    expect(model.appliedFilter).toBe('metrics.acc = 7');
    expect(model.loading).toBe(false);
  });

  it('drops the rows of a workspace that is no longer shown', async () => {
    const slow = new PromiseDelegate<IReply>();
    server
      .on('GET', RUNS, () => slow.promise)
      .on('GET', 'api/workspaces/team/runs', {
        body: { runs: [run(9)], next_page_token: null }
      });
    createModel();
    model.setScope('local', ['1']);
    await until(model.stateChanged, () => model.loading);

    model.setScope('team', ['1']);
    await until(model.stateChanged, () => model.loaded);
    slow.resolve({ body: { runs: [run(0)], next_page_token: null } });
    await new Promise(resolve => setTimeout(resolve, 20));

    expect(model.workspace).toBe('team');
    expect(ids()).toEqual(['r9']);
  });

  it('selects like clicks do: plain, toggle, shift range and ctrl+shift range', async () => {
    const runs = Array.from({ length: 10 }, (_, i) => run(i));
    server.on(
      'GET',
      RUNS,
      pagedRuns(() => runs)
    );
    createModel();
    await loadScope();
    const emitted: number[] = [];
    model.selection.changed.connect((_, selected) =>
      emitted.push(selected.size)
    );
    const selected = () => [...model.selection.ids].sort();

    model.selection.select('r2');
    expect(selected()).toEqual(['r2']);

    model.selection.select('r5', 'toggle');
    expect(selected()).toEqual(['r2', 'r5']);
    expect(model.selection.anchor).toBe('r5');

    model.selection.select('r8', 'range');
    expect(selected()).toEqual(['r5', 'r6', 'r7', 'r8']);

    // The anchor stays: a second shift-click re-draws the range from it.
    model.selection.select('r3', 'range');
    expect(selected()).toEqual(['r3', 'r4', 'r5']);

    model.selection.select('r0', 'toggle');
    model.selection.select('r1', 'add-range');
    expect(selected()).toEqual(['r0', 'r1', 'r3', 'r4', 'r5']);

    model.selection.select('r1', 'toggle');
    expect(selected()).toEqual(['r0', 'r3', 'r4', 'r5']);

    model.selection.select('r9');
    expect(selected()).toEqual(['r9']);
    expect(emitted).toEqual([1, 2, 4, 3, 4, 5, 4, 1]);

    model.setScope('local', ['1', '2']);
    expect(model.selection.ids.size).toBe(0);
  });

  it('offers the keys of the loaded runs as columns and picks metrics first', async () => {
    server.on('GET', RUNS, {
      body: {
        runs: [
          run(0, { metrics: { loss: 1, 'val/acc': 0.5 }, params: { lr: '1' } }),
          run(1, { metrics: { f1: 0.2, zeta: 1 }, params: { epochs: '3' } })
        ],
        next_page_token: null
      }
    });
    createModel();
    await loadScope();

    expect(model.availableColumns).toEqual({
      metrics: [
        'metrics.f1',
        'metrics.loss',
        'metrics.val/acc',
        'metrics.zeta'
      ],
      params: ['params.epochs', 'params.lr']
    });
    expect(model.columns).toEqual([
      'metrics.f1',
      'metrics.loss',
      'metrics.val/acc'
    ]);

    model.columns = ['params.lr', 'metrics.loss', 'params.lr'];
    expect(model.columns).toEqual(['params.lr', 'metrics.loss']);
  });

  it('puts a pushed new run on top of newest-first rows, and updates a known one', async () => {
    server.on(
      'GET',
      RUNS,
      pagedRuns(() => [run(1), run(2)])
    );
    createModel();
    await loadScope();

    model.upsertRun(run(0, { status: 'RUNNING' }));
    model.upsertRun(run(2, { status: 'KILLED' }));
    model.upsertRun(run(5, { experiment_id: '99' }));

    expect(ids()).toEqual(['r0', 'r1', 'r2']);
    expect(model.runs[2].status).toBe('KILLED');
  });

  it('reports other failures in error, keeping the rows', async () => {
    let fail = false;
    server.on('GET', RUNS, () =>
      fail
        ? { status: 503, body: { message: 'Workspace local is not ready' } }
        : { body: { runs: [run(0)], next_page_token: null } }
    );
    createModel();
    await loadScope();

    fail = true;
    await model.refresh();

    expect(model.error).toBe(
      'Cannot load runs of "local": Workspace local is not ready (HTTP 503)'
    );
    expect(model.filterError).toBeNull();
    expect(ids()).toEqual(['r0']);
  });

  it('stops polling on dispose, and dispose is safe twice', async () => {
    server.on(
      'GET',
      RUNS,
      pagedRuns(() => [run(0)])
    );
    createModel({ pollInterval: 5 });
    await loadScope();

    model.dispose();
    model.dispose();
    const seen = server.requests.length;
    await new Promise(resolve => setTimeout(resolve, 50));

    expect(model.isDisposed).toBe(true);
    expect(server.requests.length).toBe(seen);
  });
});

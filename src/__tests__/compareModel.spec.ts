import { AmlClient } from '../api';
import { CompareModel } from '../compare/compareModel';
import { runKey } from '../compare/runRef';
import { LiveClient } from '../liveClient';
import { PollInterval } from '../pollInterval';
import { MetricPoint } from '../tokens';
import { compareReply, requestedRunIds, serveCompare } from './fakeCompare';
import { FakeWebSocket, waitFor } from './fakeLiveSocket';
import { run } from './fakeRuns';
import { FakeServer } from './fakeServer';

const line = (n: number, f: (i: number) => number | null): MetricPoint[] =>
  Array.from({ length: n }, (_, i) => [i, 1000 + i, f(i)]);

const key = (workspace: string, runId: string) =>
  runKey({ workspace, run_id: runId });

describe('CompareModel', () => {
  let server: FakeServer;
  let live: LiveClient;
  let model: CompareModel;

  const create = (budget = 1000, pollInterval?: PollInterval) => {
    const serverSettings = server.settings();
    live = new LiveClient({
      serverSettings,
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
      initialDelay: 10
    });
    model = new CompareModel({
      client: new AmlClient({ serverSettings }),
      live,
      pointBudget: () => budget,
      pollInterval
    });
    return model;
  };

  beforeEach(() => {
    FakeWebSocket.reset();
    server = new FakeServer();
    serveCompare(server, {
      local: {
        runs: [
          run(1, { metrics: { loss: 0.1 }, experiment_id: '1' }),
          run(2, { metrics: { loss: 0.2, acc: 0.7 }, experiment_id: '2' })
        ],
        series: {
          r1: { loss: line(5, i => 1 - i * 0.2) },
          r2: { loss: line(3, i => 2 - i), acc: line(3, i => i / 4) }
        }
      },
      team: {
        runs: [run(1, { run_name: 'remote', metrics: { loss: 0.05 } })],
        series: { r1: { loss: line(4, i => (i === 2 ? null : 9 - i)) } }
      }
    });
  });

  afterEach(() => {
    model?.dispose();
    live?.dispose();
  });

  /** Serve workspace `live` holding run r9, RUNNING, its loss at 1 then 0.5. */
  const serveRunning = () =>
    serveCompare(server, {
      live: {
        runs: [run(9, { status: 'RUNNING', metrics: { loss: 0.5 } })],
        series: { r9: { loss: line(2, i => 1 - i / 2) } }
      }
    });

  it('fetches runs of each workspace in one request each and merges them', async () => {
    create();
    await model.add([
      { workspace: 'local', run_id: 'r1' },
      { workspace: 'team', run_id: 'r1' },
      { workspace: 'local', run_id: 'r2' }
    ]);
    expect(
      server.calls('POST', 'api/workspaces/local/compare').map(requestedRunIds)
    ).toEqual([['r1', 'r2']]);
    expect(server.calls('POST', 'api/workspaces/team/compare')).toHaveLength(1);
    // The same run id in two workspaces is two runs.
    expect(
      model.entries.map(e => [e.ref.workspace, e.run?.run_name, e.state])
    ).toEqual([
      ['local', 'run-1', 'ready'],
      ['team', 'remote', 'ready'],
      ['local', 'run-2', 'ready']
    ]);
    expect(model.keys).toEqual(['acc', 'loss']);
    expect(model.series('loss', key('team', 'r1'))).toHaveLength(4);
    expect(model.series('acc', key('local', 'r1'))).toEqual([]);
    // min and max come from the series, last from the run.
    expect(model.summary('loss', key('team', 'r1'))).toEqual({
      last: 0.05,
      min: 6,
      max: 9
    });
  });

  it('sends the point budget for the number of runs', async () => {
    create(7);
    await model.add([{ workspace: 'local', run_id: 'r2' }]);
    const body = JSON.parse(
      server.calls('POST', 'api/workspaces/local/compare')[0].body
    );
    expect(body).toEqual({ run_ids: ['r2'], keys: null, max_points: 7 });
    expect(CompareModel.pointBudget(3)).toBe(1000);
    expect(CompareModel.pointBudget(50)).toBe(400);
    expect(CompareModel.pointBudget(200)).toBe(250);
  });

  it('loads only the runs added, and keeps colours when runs come and go', async () => {
    create();
    await model.add([
      { workspace: 'local', run_id: 'r1' },
      { workspace: 'local', run_id: 'r2' }
    ]);
    await model.add([
      { workspace: 'local', run_id: 'r2' },
      { workspace: 'team', run_id: 'r1' }
    ]);
    expect(server.calls('POST', 'api/workspaces/local/compare')).toHaveLength(
      1
    );
    expect(model.entries.map(e => e.color)).toEqual([0, 1, 2]);
    model.remove(key('local', 'r2'));
    expect(model.entries.map(e => e.color)).toEqual([0, 2]);
    expect(model.keys).toEqual(['loss']); // acc was only r2's
    await model.add([{ workspace: 'local', run_id: 'r2' }]);
    // The freed slot is taken again; the others keep theirs.
    expect(model.entries.map(e => [e.ref.run_id, e.color])).toEqual([
      ['r1', 0],
      ['r1', 2],
      ['r2', 1]
    ]);
  });

  it('marks a run its workspace does not know and loads the others', async () => {
    create();
    await model.add([
      { workspace: 'local', run_id: 'r1' },
      { workspace: 'local', run_id: 'gone' }
    ]);
    const states = model.entries.map(e => [e.ref.run_id, e.state]);
    expect(states).toEqual([
      ['r1', 'ready'],
      ['gone', 'missing']
    ]);
    expect(model.entry(key('local', 'gone'))!.error).toMatch(/not found/);
    expect(model.series('loss', key('local', 'r1'))).toHaveLength(5);
  });

  it('marks every run missing when the workspace knows none of them', async () => {
    create();
    await model.add([{ workspace: 'local', run_id: 'gone' }]);
    expect(model.entries.map(e => e.state)).toEqual(['missing']);
    expect(model.entry(key('local', 'gone'))!.error).toMatch(
      /none of the runs/
    );
  });

  it('reports an unreachable workspace on its runs only', async () => {
    server.on('POST', 'api/workspaces/down/compare', {
      status: 503,
      body: { message: 'workspace down is starting' }
    });
    create();
    await model.add([
      { workspace: 'down', run_id: 'x' },
      { workspace: 'local', run_id: 'r1' }
    ]);
    expect(model.entry(key('down', 'x'))).toMatchObject({
      state: 'error',
      error: 'workspace down is starting (HTTP 503)'
    });
    expect(model.entry(key('local', 'r1'))!.state).toBe('ready');
  });

  it('hides and shows a run', async () => {
    create();
    await model.add([{ workspace: 'local', run_id: 'r1' }]);
    const changes: CompareModel.IChange[] = [];
    model.changed.connect((_, change) => changes.push(change));
    model.setHidden(key('local', 'r1'), true);
    model.setHidden(key('local', 'r1'), true);
    expect(model.entry(key('local', 'r1'))!.hidden).toBe(true);
    expect(changes).toHaveLength(1);
  });

  it('follows a RUNNING run live and stops when it ends', async () => {
    const store = serveRunning();
    create();
    await model.add([
      { workspace: 'live', run_id: 'r9' },
      { workspace: 'local', run_id: 'r1' }
    ]);
    const socket = FakeWebSocket.latest();
    socket.open();
    // Only the running run is followed.
    expect(socket.subscribed()).toEqual([{ workspace: 'live', run_id: 'r9' }]);
    // Logged between the load and the subscription: the ack reloads the run.
    store.live.series.r9.loss.push([2, 1002, 0.25]);
    socket.ackAll();
    const runKey9 = key('live', 'r9');
    await waitFor(() => model.series('loss', runKey9).length === 3);
    expect(server.calls('POST', 'api/workspaces/live/compare')).toHaveLength(2);

    socket.receive({
      type: 'metrics',
      workspace: 'live',
      run_id: 'r9',
      points: { loss: [[3, 1003, 0.125]], lr: [[3, 1003, 0.01]] }
    });
    expect(model.series('loss', runKey9).map(p => p[2])).toEqual([
      1, 0.5, 0.25, 0.125
    ]);
    expect(model.keys).toEqual(['loss', 'lr']);
    expect(model.summary('loss', runKey9)).toEqual({
      last: 0.125,
      min: 0.125,
      max: 1
    });
    // A push for another workspace's run of the same id changes nothing.
    socket.receive({
      type: 'metrics',
      workspace: 'local',
      run_id: 'r9',
      points: { loss: [[4, 1004, 0]] }
    });
    expect(model.series('loss', runKey9)).toHaveLength(4);

    // An older record does not undo the last values pushed since.
    socket.receive({
      type: 'run',
      workspace: 'live',
      run: run(9, { status: 'FINISHED', metrics: { loss: 0.5 } })
    });
    expect(model.entry(runKey9)!.run!.status).toBe('FINISHED');
    expect(model.entry(runKey9)!.run!.metrics.loss).toBe(0.125);
    expect(socket.subscribed()).toEqual([]);
  });

  it('reloads a live series that grew past its budget', async () => {
    serveCompare(server, {
      live: {
        runs: [run(9, { status: 'RUNNING', metrics: { loss: 0.5 } })],
        series: { r9: { loss: line(2, i => i) } }
      }
    });
    create(2);
    await model.add([{ workspace: 'live', run_id: 'r9' }]);
    const socket = FakeWebSocket.latest();
    socket.open();
    socket.receive({
      type: 'metrics',
      workspace: 'live',
      run_id: 'r9',
      points: { loss: line(30, i => i).map(p => [p[0] + 10, p[1] + 10, p[2]]) }
    });
    // 32 points held, budget 2 × 10: loaded again, sampled.
    await waitFor(
      () => server.calls('POST', 'api/workspaces/live/compare').length === 2
    );
  });

  it('loads a RUNNING run again while the live socket is down, at the interval set, until it ends', async () => {
    const store = serveRunning();
    const interval = new PollInterval(60 * 60 * 1000);
    create(1000, interval);
    await model.add([{ workspace: 'live', run_id: 'r9' }]);
    const posts = () => server.calls('POST', 'api/workspaces/live/compare');

    FakeWebSocket.latest().drop(); // the socket never worked
    await waitFor(() => posts().length === 2); // the first poll comes at once
    store.live.series.r9.loss.push([2, 1002, 0.25]);
    interval.value = 20; // the pollInterval setting changed
    const runKey9 = key('live', 'r9');
    await waitFor(() => model.series('loss', runKey9).length === 3);

    store.live.runs[0] = run(9, {
      status: 'FINISHED',
      metrics: { loss: 0.25 }
    });
    await waitFor(() => model.entry(runKey9)!.run!.status === 'FINISHED');
    const seen = posts().length;
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(posts()).toHaveLength(seen);
  });

  it('keeps the last values pushed while a reload was out', async () => {
    const store = serveRunning();
    create();
    await model.add([{ workspace: 'live', run_id: 'r9' }]);
    // The reload the acknowledgement asks for reads the run, then answers late.
    let answer!: () => void;
    const answered = new Promise<void>(resolve => (answer = resolve));
    const reloads = () => server.calls('POST', 'api/workspaces/live/compare');
    server.on('POST', 'api/workspaces/live/compare', async request => {
      const reply = compareReply(store.live, request);
      await answered;
      return reply;
    });
    const socket = FakeWebSocket.latest();
    socket.open();
    socket.ackAll();
    await waitFor(() => reloads().length === 2);
    socket.receive({
      type: 'metrics',
      workspace: 'live',
      run_id: 'r9',
      points: { loss: [[2, 1002, 0.25]] }
    });
    const runKey9 = key('live', 'r9');
    const pushed = model.entry(runKey9)!.run;

    answer();

    await waitFor(() => model.entry(runKey9)!.run !== pushed);
    expect(model.series('loss', runKey9)).toHaveLength(3);
    expect(model.summary('loss', runKey9).last).toBe(0.25);
  });

  it('drops a reply for a run removed while it was loading', async () => {
    create();
    const loading = model.add([{ workspace: 'local', run_id: 'r1' }]);
    model.remove(key('local', 'r1'));
    await loading;
    expect(model.entries).toEqual([]);
    expect(model.keys).toEqual([]);
  });
});

import { PromiseDelegate } from '@lumino/coreutils';
import { Signal } from '@lumino/signaling';

import { AmlClient } from '../api';
import { KERNEL_ID_TAG, KernelRunModel } from '../kernelRunModel';
import { LiveClient } from '../liveClient';
import { IMetricExtreme, IMetricHistory, IRun, MetricPoint } from '../tokens';
import { FakeWebSocket, waitFor } from './fakeLiveSocket';
import { FakeServer, IReply } from './fakeServer';

/**
 * A notebook's session context, driven by the test.
 */
class FakeSessionContext {
  session: { kernel: { id: string } | null } | null = null;
  readonly kernelChanged = new Signal<this, unknown>(this);
  readonly statusChanged = new Signal<this, string>(this);

  setKernel(id: string | null): void {
    this.session = { kernel: id ? { id } : null };
    this.kernelChanged.emit(undefined);
  }
}

/**
 * A notebook tracker, driven by the test.
 */
class FakeTracker {
  currentWidget: { sessionContext: FakeSessionContext } | null = null;
  readonly currentChanged = new Signal<this, unknown>(this);

  focus(kernelId: string | null): FakeSessionContext {
    const sessionContext = new FakeSessionContext();
    if (kernelId) {
      sessionContext.session = { kernel: { id: kernelId } };
    }
    this.currentWidget = { sessionContext };
    this.currentChanged.emit(this.currentWidget);
    return sessionContext;
  }
}

const run = (id: string, extra: Partial<IRun> = {}): IRun => ({
  run_id: id,
  run_name: `run-${id}`,
  experiment_id: '1',
  status: 'RUNNING',
  start_time: 1000,
  end_time: null,
  artifact_uri: '',
  params: {},
  metrics: {},
  tags: {},
  ...extra
});

const history = (runId: string, points: MetricPoint[]): IMetricHistory => {
  const last = points[points.length - 1];
  const extreme: IMetricExtreme = { step: last[0], value: last[2] ?? 'NaN' };
  return {
    key: 'loss',
    run_id: runId,
    total_points: points.length,
    sampled: false,
    min: extreme,
    max: extreme,
    last: { ...extreme, timestamp: last[1] },
    points
  };
};

const RUN_ROUTE = (id: string) => `api/workspaces/local/runs/${id}`;
const LOSS_ROUTE = (id: string) => `${RUN_ROUTE(id)}/metrics/loss`;

describe('KernelRunModel', () => {
  let server: FakeServer;
  let live: LiveClient;
  let tracker: FakeTracker;
  let model: KernelRunModel;

  const create = () => {
    const serverSettings = server.settings();
    live = new LiveClient({
      serverSettings,
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
      initialDelay: 10
    });
    model = new KernelRunModel({
      client: new AmlClient({ serverSettings }),
      live,
      tracker
    });
    return model;
  };
  const socket = () => FakeWebSocket.latest();
  const push = (runId: string, points: MetricPoint[]) =>
    socket().receive({
      type: 'metrics',
      workspace: 'local',
      run_id: runId,
      points: { loss: points }
    });

  beforeEach(() => {
    FakeWebSocket.reset();
    server = new FakeServer();
    tracker = new FakeTracker();
  });

  afterEach(() => {
    model?.dispose();
    live?.dispose();
  });

  it('waits for a notebook with a kernel', () => {
    create();
    expect(model.status).toBe('no-notebook');
    tracker.focus(null);
    expect(model.status).toBe('no-kernel');
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it('picks up a new run of the kernel from a run message', async () => {
    server.on('GET', 'api/kernels/k1/runs', {
      body: { workspace: 'local', runs: [] }
    });
    server.on('GET', RUN_ROUTE('r2'), { body: run('r2') });
    tracker.focus('k1');
    create();
    await waitFor(() => model.status === 'no-run');
    expect(model.workspace).toBe('local');
    socket().open();
    expect(socket().subscribed()).toEqual([
      { workspace: 'local', run_id: null }
    ]);
    socket().ackAll();
    // Once the server listens, runs created meanwhile are looked up again.
    await waitFor(
      () => server.calls('GET', 'api/kernels/k1/runs').length === 2
    );

    const other = run('r9', { tags: { [KERNEL_ID_TAG]: 'k-other' } });
    socket().receive({ type: 'run', workspace: 'local', run: other });
    expect(model.run).toBeNull();

    const created = run('r2', { tags: { [KERNEL_ID_TAG]: 'k1' } });
    socket().receive({ type: 'run', workspace: 'local', run: created });
    expect(model.status).toBe('live');
    expect(model.run?.run_id).toBe('r2');
    expect(socket().subscribed()).toContainEqual({
      workspace: 'local',
      run_id: 'r2'
    });

    // A later status change of the followed run updates it in place.
    socket().receive({
      type: 'run',
      workspace: 'local',
      run: { ...created, status: 'FINISHED' }
    });
    expect(model.run?.status).toBe('FINISHED');
    expect(server.calls('GET', 'api/kernels/k1/runs')).toHaveLength(2);
  });

  it('merges pushed points with the history, without duplicates', async () => {
    const reply = new PromiseDelegate<IReply>();
    server
      .on('GET', 'api/kernels/k1/runs', {
        body: {
          workspace: 'local',
          runs: [run('r1', { metrics: { loss: 1 } })]
        }
      })
      .on('GET', RUN_ROUTE('r1'), {
        body: run('r1', { metrics: { loss: 0.5 } })
      })
      .on('GET', LOSS_ROUTE('r1'), () => reply.promise);
    tracker.focus('k1');
    create();
    await waitFor(() => model.status === 'live');
    socket().open();

    // Points may come before the ack; the history is asked for only after it.
    push('r1', [
      [2, 1200, 0.3],
      [3, 1300, 0.25]
    ]);
    expect(model.series('loss')).toHaveLength(2);
    expect(server.calls('GET', LOSS_ROUTE('r1'))).toHaveLength(0);
    socket().ackAll();
    await waitFor(() => server.calls('GET', LOSS_ROUTE('r1')).length === 1);
    expect(
      server
        .calls('GET', LOSS_ROUTE('r1'))[0]
        .url.searchParams.get('max_points')
    ).toBe('2000');

    // Pushed while the history is on its way, overlapping both.
    push('r1', [
      [3, 1300, 0.25],
      [4, 1400, 0.2]
    ]);
    reply.resolve({
      body: history('r1', [
        [0, 1000, 1],
        [1, 1100, 0.5],
        [2, 1200, 0.3],
        [3, 1300, 0.25]
      ])
    });
    await waitFor(() => model.series('loss').length === 5);
    expect(model.series('loss')).toEqual([
      [0, 1000, 1],
      [1, 1100, 0.5],
      [2, 1200, 0.3],
      [3, 1300, 0.25],
      [4, 1400, 0.2]
    ]);
    expect(model.keys).toEqual(['loss']);
    expect(model.run?.metrics.loss).toBe(0.5);

    // A new key shows up with its first point, after the older key.
    socket().receive({
      type: 'metrics',
      workspace: 'local',
      run_id: 'r1',
      points: { accuracy: [[0, 2000, 0.9]] }
    });
    expect(model.keys).toEqual(['loss', 'accuracy']);
  });

  it('reloads the history after a reconnect', async () => {
    let points: MetricPoint[] = [[0, 1000, 1]];
    server
      .on('GET', 'api/kernels/k1/runs', {
        body: {
          workspace: 'local',
          runs: [run('r1', { metrics: { loss: 1 } })]
        }
      })
      .on('GET', RUN_ROUTE('r1'), { body: run('r1', { metrics: { loss: 1 } }) })
      .on('GET', LOSS_ROUTE('r1'), () => ({ body: history('r1', points) }));
    tracker.focus('k1');
    create();
    await waitFor(() => model.status === 'live');
    socket().open();
    socket().ackAll();
    await waitFor(() => model.series('loss').length === 1);

    // Logged while the socket was down: only the history has them.
    socket().drop(1013, 'fell behind');
    points = [
      [0, 1000, 1],
      [1, 1100, 0.5],
      [2, 1200, 0.3]
    ];
    await waitFor(() => FakeWebSocket.instances.length === 2);
    socket().open();
    socket().ackAll();
    await waitFor(() => model.series('loss').length === 3);
    expect(model.series('loss').map(p => p[0])).toEqual([0, 1, 2]);
  });

  it('loads the run again at a new point budget', async () => {
    server
      .on('GET', 'api/kernels/k1/runs', {
        body: {
          workspace: 'local',
          runs: [run('r1', { metrics: { loss: 1 } })]
        }
      })
      .on('GET', RUN_ROUTE('r1'), { body: run('r1', { metrics: { loss: 1 } }) })
      .on('GET', LOSS_ROUTE('r1'), request => {
        const max = Number(request.url.searchParams.get('max_points'));
        const points: MetricPoint[] = [[0, 1000, 1]];
        if (max > 2000) {
          points.push([1, 1100, 0.5]);
        }
        return { body: history('r1', points) };
      });
    tracker.focus('k1');
    create();
    await waitFor(() => model.status === 'live');
    socket().open();
    socket().ackAll();
    await waitFor(() => model.series('loss').length === 1);

    model.maxPoints = 5000;
    await waitFor(() => model.series('loss').length === 2);
    const asked = server
      .calls('GET', LOSS_ROUTE('r1'))
      .map(r => r.url.searchParams.get('max_points'));
    expect(asked).toEqual(['2000', '5000']);
  });

  it('switches runs with the kernel and unsubscribes from the old one', async () => {
    server
      .on('GET', 'api/kernels/k1/runs', {
        body: { workspace: 'local', runs: [run('r1')] }
      })
      .on('GET', 'api/kernels/k2/runs', {
        body: { workspace: 'local', runs: [run('r2'), run('r0')] }
      })
      .on('GET', RUN_ROUTE('r1'), { body: run('r1') })
      .on('GET', RUN_ROUTE('r2'), { body: run('r2') });
    const session = tracker.focus('k1');
    create();
    await waitFor(() => model.run?.run_id === 'r1');
    socket().open();
    socket().ackAll();
    push('r1', [[0, 1000, 1]]);
    expect(model.series('loss')).toHaveLength(1);

    const changes: KernelRunModel.IChange[] = [];
    model.changed.connect((_, change) => changes.push(change));
    session.setKernel('k2');
    expect(model.kernelId).toBe('k2');
    await waitFor(() => model.run?.run_id === 'r2');
    expect(changes.some(c => c.run)).toBe(true);
    expect(model.series('loss')).toHaveLength(0);
    expect(socket().sent).toContainEqual({
      unsubscribe: { workspace: 'local', run_id: 'r1' }
    });
    expect(socket().subscribed()).toEqual([
      { workspace: 'local', run_id: null },
      { workspace: 'local', run_id: 'r2' }
    ]);

    // Points of the old run no longer count.
    push('r1', [[1, 1100, 0.5]]);
    expect(model.keys).toEqual([]);

    // Focus on a notebook without a kernel: nothing to follow.
    tracker.focus(null);
    expect(model.status).toBe('no-kernel');
    expect(model.run).toBeNull();
    expect(socket().subscribed()).toEqual([]);
  });
});

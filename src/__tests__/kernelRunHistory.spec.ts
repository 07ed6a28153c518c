import { PromiseDelegate } from '@lumino/coreutils';

import { IRun, MetricPoint } from '../tokens';
import {
  history,
  kernelRunFixture,
  liveRun as run,
  METRIC_ROUTE,
  pushPoints as push,
  RUN_ROUTE
} from './fakeKernel';
import { FakeWebSocket, waitFor } from './fakeLiveSocket';
import { IRecordedRequest, IReply } from './fakeServer';

const KERNEL_RUNS = 'api/kernels/k1/runs';
const LOSS = METRIC_ROUTE('r1');

/**
 * A history route answering from what `logged()` holds, from `start_step` on
 * when one is asked for (404 while nothing is logged, as MLflow's store).
 */
const historyOf =
  (logged: () => MetricPoint[], key = 'loss') =>
  (request: IRecordedRequest): IReply => {
    const start = request.url.searchParams.get('start_step');
    const points = logged().filter(p => start === null || p[0] >= +start);
    return points.length
      ? { body: history('r1', points, { key }) }
      : { status: 404, body: { message: 'no such metric' } };
  };

describe('KernelRunModel histories', () => {
  const fx = kernelRunFixture();

  /** Follow kernel k1, whose newest run r1 is `listed`, read again as `read`. */
  const follow = (listed: IRun, read: IRun = listed) => {
    fx.server
      .on('GET', KERNEL_RUNS, { body: { workspace: 'local', runs: [listed] } })
      .on('GET', RUN_ROUTE('r1'), { body: read });
    fx.tracker.focus('k1');
    fx.create();
  };
  const socket = () => FakeWebSocket.latest();
  /** Serve `logged()` on LOSS, but hold its `n`th request for the test to answer. */
  const holdLoss = (n: number, logged: () => MetricPoint[]) => {
    const held = new PromiseDelegate<IReply>();
    fx.server.on('GET', LOSS, request =>
      starts(LOSS).length === n ? held.promise : historyOf(logged)(request)
    );
    return held;
  };
  /** The `start_step` of each request to `route` (null: the whole history). */
  const starts = (route: string) =>
    fx.server
      .calls('GET', route)
      .map(r => r.url.searchParams.get('start_step'));

  it('asks for the histories right from the kernel runs reply, not after the ack', async () => {
    let logged: MetricPoint[] = [
      [0, 1000, 1],
      [1, 1100, 0.5]
    ];
    fx.server.on(
      'GET',
      LOSS,
      historyOf(() => logged)
    );
    follow(
      run('r1', { metrics: { loss: 0.5 } }),
      run('r1', { metrics: { loss: 0.3 }, status: 'FINISHED' })
    );
    // Drawn while the socket is still opening: one round trip, not four.
    await waitFor(() => fx.model.series('loss').length === 2);
    expect(fx.server.requests.map(r => r.route)).toEqual([KERNEL_RUNS, LOSS]);
    expect(socket().sent).toEqual([]);

    // Logged before the server listened: never pushed, read after the ack.
    logged = [...logged, [2, 1200, 0.3]];
    socket().open();
    expect(socket().subscribed()).toContainEqual({
      workspace: 'local',
      run_id: 'r1'
    });
    socket().ackAll();
    await waitFor(() => fx.model.series('loss').length === 3);
    expect(fx.model.series('loss')).toEqual(logged);
    // Only from the history's last step on; the run is read again as well.
    expect(starts(LOSS)).toEqual([null, '1']);
    await waitFor(() => fx.model.run?.status === 'FINISHED');
    expect(fx.model.run?.metrics.loss).toBe(0.3);

    push('r1', [[3, 1300, 0.25]]);
    expect(fx.model.series('loss').map(p => p[0])).toEqual([0, 1, 2, 3]);
  });

  it('merges points pushed while the history is out, without duplicates', async () => {
    const logged: MetricPoint[] = [
      [0, 1000, 1],
      [1, 1100, 0.5],
      [2, 1200, 0.3],
      [3, 1300, 0.25],
      [4, 1400, 0.2]
    ];
    const early = holdLoss(1, () => logged);
    follow(run('r1', { metrics: { loss: 1 } }));
    await waitFor(() => starts(LOSS).length === 1);
    expect(
      fx.server.calls('GET', LOSS)[0].url.searchParams.get('max_points')
    ).toBe('2000');
    socket().open();

    // Pushed before the ack, and after it, overlapping the history.
    push('r1', [
      [2, 1200, 0.3],
      [3, 1300, 0.25]
    ]);
    expect(fx.model.series('loss')).toHaveLength(2);
    socket().ackAll();
    await waitFor(() => fx.server.calls('GET', RUN_ROUTE('r1')).length === 1);
    push('r1', [
      [3, 1300, 0.25],
      [4, 1400, 0.2]
    ]);
    // What was logged before the ack is read once the history is in.
    expect(starts(LOSS)).toEqual([null]);
    early.resolve({ body: history('r1', logged.slice(0, 4)) });
    await waitFor(() => starts(LOSS).length === 2);
    expect(starts(LOSS)).toEqual([null, '3']);
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(fx.model.series('loss')).toEqual(logged);
    expect(fx.model.keys).toEqual(['loss']);

    // A new key shows up with its first point, after the older key.
    push('r1', [[0, 2000, 0.9]], 'accuracy');
    expect(fx.model.keys).toEqual(['loss', 'accuracy']);
  });

  it('keeps points pushed while the catch-up read is out', async () => {
    const catchUp = holdLoss(2, () => [
      [0, 1000, 1],
      [1, 1100, 0.5]
    ]);
    follow(run('r1', { metrics: { loss: 1 } }));
    await waitFor(() => fx.model.series('loss').length === 2);
    socket().open();
    socket().ackAll();
    await waitFor(() => starts(LOSS).length === 2);
    push('r1', [
      [2, 1200, 0.3],
      [3, 1300, 0.25]
    ]);
    catchUp.resolve({
      body: history('r1', [
        [1, 1100, 0.5],
        [2, 1200, 0.3]
      ])
    });
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(fx.model.series('loss').map(p => p[0])).toEqual([0, 1, 2, 3]);
  });

  it('loads a key the run read finds after the ack', async () => {
    fx.server
      .on(
        'GET',
        LOSS,
        historyOf(() => [[0, 1000, 1]])
      )
      .on(
        'GET',
        METRIC_ROUTE('r1', 'acc'),
        historyOf(() => [[0, 900, 0.1]], 'acc')
      );
    follow(
      run('r1', { metrics: { loss: 1 } }),
      run('r1', { metrics: { loss: 1, acc: 0.1 } })
    );
    await waitFor(() => fx.model.series('loss').length === 1);
    expect(starts(METRIC_ROUTE('r1', 'acc'))).toEqual([]);
    socket().open();
    socket().ackAll();
    await waitFor(() => fx.model.series('acc').length === 1);
    expect(starts(METRIC_ROUTE('r1', 'acc'))).toEqual([null]);
    expect(fx.model.keys).toEqual(['acc', 'loss']);
  });

  it('loads the whole history after the ack when the early load failed', async () => {
    let logged: MetricPoint[] = [];
    fx.server.on(
      'GET',
      LOSS,
      historyOf(() => logged)
    );
    follow(run('r1', { metrics: { loss: 1 } }));
    await waitFor(() => starts(LOSS).length === 1);
    logged = [[0, 1000, 1]];
    socket().open();
    socket().ackAll();
    await waitFor(() => fx.model.series('loss').length === 1);
    expect(starts(LOSS)).toEqual([null, null]);
  });

  it('loads the whole history again when the catch-up read is sampled', async () => {
    const whole: MetricPoint[] = [
      [0, 1000, 1],
      [5, 1500, 0.2],
      [9, 1900, 0.1]
    ];
    // The first load holds one point; later reads find more than a load holds.
    fx.server.on('GET', LOSS, () =>
      starts(LOSS).length === 1
        ? { body: history('r1', [[0, 1000, 1]]) }
        : { body: history('r1', whole, { sampled: true }) }
    );
    follow(run('r1', { metrics: { loss: 1 } }));
    await waitFor(() => fx.model.series('loss').length === 1);
    socket().open();
    socket().ackAll();
    await waitFor(() => starts(LOSS).length === 3);
    expect(starts(LOSS)).toEqual([null, '0', null]);
    await waitFor(() => fx.model.isSampled('loss'));
    expect(fx.model.series('loss')).toEqual(whole);
  });

  it('reloads the history after a reconnect', async () => {
    let logged: MetricPoint[] = [[0, 1000, 1]];
    fx.server.on(
      'GET',
      LOSS,
      historyOf(() => logged)
    );
    follow(run('r1', { metrics: { loss: 1 } }));
    await waitFor(() => fx.model.status === 'live');
    socket().open();
    socket().ackAll();
    await waitFor(() => starts(LOSS).length === 2);

    // Logged while the socket was down: only the history has them.
    socket().drop(1013, 'fell behind');
    logged = [
      [0, 1000, 1],
      [1, 1100, 0.5],
      [2, 1200, 0.3]
    ];
    await waitFor(() => FakeWebSocket.instances.length === 2);
    socket().open();
    socket().ackAll();
    await waitFor(() => fx.model.series('loss').length === 3);
    expect(fx.model.series('loss').map(p => p[0])).toEqual([0, 1, 2]);
    // The ack of the new socket loads the whole history again (polls may
    // have read from the last step meanwhile).
    await waitFor(() => starts(LOSS).slice(2).includes(null));
  });

  it('loads the run again at a new point budget', async () => {
    fx.server.on('GET', LOSS, request => {
      const max = Number(request.url.searchParams.get('max_points'));
      const points: MetricPoint[] = [[0, 1000, 1]];
      if (max > 2000) {
        points.push([1, 1100, 0.5]);
      }
      return { body: history('r1', points) };
    });
    follow(run('r1', { metrics: { loss: 1 } }));
    await waitFor(() => fx.model.status === 'live');
    socket().open();
    socket().ackAll();
    await waitFor(() => starts(LOSS).length === 2);

    fx.model.maxPoints = 5000;
    await waitFor(() => fx.model.series('loss').length === 2);
    const asked = fx.server
      .calls('GET', LOSS)
      .map(r => r.url.searchParams.get('max_points'));
    expect(asked).toEqual(['2000', '2000', '5000']);
    expect(starts(LOSS)).toEqual([null, '0', null]);
  });
});

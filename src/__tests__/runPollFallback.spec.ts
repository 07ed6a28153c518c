import { Signal } from '@lumino/signaling';

import { AmlClient } from '../api';
import { KernelRunModel } from '../kernelRunModel';
import { LiveClient } from '../liveClient';
import { PollInterval } from '../pollInterval';
import { RunDetailModel } from '../runDetailModel';
import { followMode, RunPollFallback } from '../runPollFallback';
import { IRun, MetricPoint } from '../tokens';
import { FakeWebSocket, waitFor } from './fakeLiveSocket';
import { run as finishedRun } from './fakeRuns';
import { FakeServer } from './fakeServer';

const running = (id: string, extra: Partial<IRun> = {}): IRun => ({
  ...finishedRun(0),
  run_id: id,
  status: 'RUNNING',
  end_time: null,
  ...extra
});

describe('followMode', () => {
  it('polls only a running run whose live channel does not answer', () => {
    expect(followMode(false, 'unavailable')).toBe('stopped');
    expect(followMode(false, 'acknowledged')).toBe('stopped');
    expect(followMode(true, 'acknowledged')).toBe('live');
    expect(followMode(true, 'pending')).toBe('waiting');
    expect(followMode(true, 'unavailable')).toBe('polling');
  });
});

describe('RunPollFallback', () => {
  let live: LiveClient;
  let fallback: RunPollFallback;
  let isRunning: boolean;
  let calls: number;
  let fail: boolean;

  const create = (grace = 5000, interval = new PollInterval(20)) => {
    live = new LiveClient({
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
      initialDelay: 10
    });
    const subscription = live.subscribe('local', 'r1');
    fallback = new RunPollFallback({
      live,
      subscription,
      isRunning: () => isRunning,
      refresh: async () => {
        calls++;
        if (fail) {
          throw new Error('502 upstream');
        }
      },
      interval,
      grace,
      standby: 'never'
    });
  };
  const socket = () => FakeWebSocket.latest();
  const pause = (ms: number) => new Promise(r => setTimeout(r, ms));

  beforeEach(() => {
    FakeWebSocket.reset();
    isRunning = true;
    calls = 0;
    fail = false;
  });

  afterEach(() => {
    fallback?.dispose();
    live?.dispose();
  });

  it('waits for the subscription, then stays quiet while pushes flow', async () => {
    create();
    expect(fallback.mode).toBe('waiting');
    socket().open();
    socket().ackAll();
    expect(fallback.mode).toBe('live');
    await pause(100);
    expect(calls).toBe(0);
  });

  it('polls while the socket is down and stops when it is back', async () => {
    create();
    socket().open();
    socket().ackAll();
    const modes: string[] = [];
    fallback.modeChanged.connect((_, mode) => modes.push(mode));

    socket().drop();
    expect(fallback.mode).toBe('polling');
    await waitFor(() => calls >= 3);
    // Still polling while the socket reopens, until the server answers.
    await waitFor(() => FakeWebSocket.instances.length === 2);
    socket().open();
    expect(fallback.mode).toBe('polling');
    socket().ackAll();
    expect(fallback.mode).toBe('live');
    const seen = calls;
    await pause(100);
    expect(calls).toBe(seen);
    expect(modes).toEqual(['polling', 'live']);
  });

  it('polls when the subscription is refused or never answered', async () => {
    create(50);
    socket().open();
    expect(fallback.mode).toBe('waiting');
    await waitFor(() => fallback.mode === 'polling');
    await waitFor(() => calls >= 1);
    fallback.dispose();
    live.dispose();

    create();
    socket().open();
    socket().receive({
      type: 'error',
      message: 'unknown workspace',
      workspace: 'local',
      run_id: 'r1'
    });
    expect(fallback.mode).toBe('polling');
  });

  it('stops once the run has ended', async () => {
    create();
    socket().drop();
    await waitFor(() => calls >= 1);
    isRunning = false;
    fallback.update();
    expect(fallback.mode).toBe('stopped');
    const seen = calls;
    await pause(100);
    expect(calls).toBe(seen);
  });

  it('polls at a changed interval at once, without waiting out the old one', async () => {
    const interval = new PollInterval(60 * 60 * 1000);
    create(5000, interval);
    socket().drop();
    await waitFor(() => calls === 1); // the first poll comes at once
    await pause(50);
    expect(calls).toBe(1);

    interval.value = 20; // the pollInterval setting changed

    await waitFor(() => calls >= 3);
  });

  it('backs off while the refresh fails', async () => {
    fail = true;
    create();
    socket().drop();
    await pause(1000);
    // Fifty ticks fit at 20 ms without backoff; growing waits allow a dozen.
    expect(calls).toBeGreaterThanOrEqual(3);
    expect(calls).toBeLessThanOrEqual(20);
  });
});

describe('the polling fallback in the models', () => {
  let server: FakeServer;
  let live: LiveClient;

  beforeEach(() => {
    FakeWebSocket.reset();
    server = new FakeServer();
    live = new LiveClient({
      serverSettings: server.settings(),
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
      initialDelay: 60 * 1000
    });
  });

  afterEach(() => live.dispose());

  it('charts a kernel run over REST while the socket is down, until it ends', async () => {
    let status = 'RUNNING';
    let points: MetricPoint[] = [[0, 1000, 1]];
    server
      .on('GET', 'api/kernels/k1/runs', {
        body: {
          workspace: 'local',
          runs: [running('r1', { metrics: { loss: 1 } })]
        }
      })
      .on('GET', 'api/workspaces/local/runs/r1', () => ({
        body: running('r1', { status, metrics: { loss: 1 } })
      }))
      .on('GET', 'api/workspaces/local/runs/r1/metrics/loss', request => {
        const from = Number(request.url.searchParams.get('start_step') ?? 0);
        const shown = points.filter(p => p[0] >= from);
        return {
          body: {
            key: 'loss',
            run_id: 'r1',
            total_points: shown.length,
            sampled: false,
            min: { step: 0, value: 1 },
            max: { step: 0, value: 1 },
            last: { step: 0, value: 1, timestamp: 1000 },
            points: shown
          }
        };
      });
    const tracker = {
      currentWidget: {
        sessionContext: {
          session: { kernel: { id: 'k1' } },
          kernelChanged: new Signal<unknown, unknown>({}),
          statusChanged: new Signal<unknown, string>({})
        }
      },
      currentChanged: new Signal<unknown, unknown>({})
    };
    const model = new KernelRunModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      live,
      tracker,
      pollInterval: new PollInterval(20)
    });
    try {
      await waitFor(() => model.status === 'live');
      socket().drop(); // the socket never worked
      await waitFor(() => model.followMode === 'polling');
      await waitFor(() => model.series('loss').length === 1);
      points = [...points, [1, 1100, 0.5], [2, 1200, 0.25]];
      await waitFor(() => model.series('loss').length === 3);
      // New points are asked for from the last step held on.
      const froms = () =>
        server
          .calls('GET', 'api/workspaces/local/runs/r1/metrics/loss')
          .map(r => r.url.searchParams.get('start_step'));
      await waitFor(() => froms().includes('2'));
      expect(froms()[0]).toBeNull(); // the whole history first
      expect(model.series('loss').map(p => p[0])).toEqual([0, 1, 2]);

      status = 'FINISHED';
      await waitFor(() => model.run?.status === 'FINISHED');
      expect(model.followMode).toBe('stopped');
      const seen = server.requests.length;
      await new Promise(r => setTimeout(r, 100));
      expect(server.requests.length).toBe(seen);
    } finally {
      model.dispose();
    }
  });

  it('refreshes a running run in detail while the socket is down; pushes widen min and max', async () => {
    let status = 'RUNNING';
    server
      .on('GET', 'api/workspaces/local/runs/r2', () => ({
        body: running('r2', { status, metrics: { loss: 0.5 } })
      }))
      .on('GET', 'api/workspaces/local/runs/r2/metrics/loss', {
        body: {
          key: 'loss',
          run_id: 'r2',
          total_points: 2,
          sampled: false,
          min: { step: 1, value: 0.5 },
          max: { step: 0, value: 0.9 },
          last: { step: 1, value: 0.5, timestamp: 1100 },
          points: []
        }
      });
    const model = new RunDetailModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      workspace: 'local',
      runId: 'r2',
      live,
      pollInterval: new PollInterval(20)
    });
    try {
      await model.refresh();
      expect(model.followMode).toBe('waiting');
      socket().open();
      socket().ackAll();
      expect(model.followMode).toBe('live');
      await model.loadSummaries();
      expect(model.summary('loss')?.min).toEqual({ step: 1, value: 0.5 });

      // A pushed point is the new last value, and a new minimum.
      socket().receive({
        type: 'metrics',
        workspace: 'local',
        run_id: 'r2',
        points: {
          loss: [
            [7, 2000, 0.1],
            [6, 1900, 0.2]
          ]
        }
      });
      expect(model.run?.metrics.loss).toBe(0.1);
      expect(model.summary('loss')?.min).toEqual({ step: 7, value: 0.1 });
      expect(model.summary('loss')?.max).toEqual({ step: 0, value: 0.9 });

      socket().drop();
      expect(model.followMode).toBe('polling');
      const gets = () => server.calls('GET', 'api/workspaces/local/runs/r2');
      await waitFor(() => gets().length >= 3);
      status = 'FINISHED';
      await waitFor(() => model.run?.status === 'FINISHED');
      expect(model.followMode).toBe('stopped');
      const seen = gets().length;
      await new Promise(r => setTimeout(r, 100));
      expect(gets().length).toBe(seen);
    } finally {
      model.dispose();
    }
  });

  const socket = () => FakeWebSocket.latest();
});

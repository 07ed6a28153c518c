/**
 * The notebook side of the live charts for tests: a notebook tracker and
 * session the test drives, a kernel's running run, its metric histories, and
 * a `KernelRunModel` wired to the fake server and socket.
 */

import { Signal } from '@lumino/signaling';

import { AmlClient } from '../api';
import { KernelRunModel } from '../kernelRunModel';
import { LiveClient } from '../liveClient';
import { IMetricExtreme, IMetricHistory, IRun, MetricPoint } from '../tokens';
import { FakeWebSocket } from './fakeLiveSocket';
import { FakeServer } from './fakeServer';

/**
 * A notebook's session context, driven by the test.
 */
export class FakeSessionContext {
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
export class FakeTracker {
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

/**
 * A running run as the server reports it.
 */
export function liveRun(id: string, extra: Partial<IRun> = {}): IRun {
  return {
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
  };
}

/**
 * A metric history reply holding `points` (not empty).
 */
export function history(
  runId: string,
  points: MetricPoint[],
  extra: Partial<IMetricHistory> = {}
): IMetricHistory {
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
    points,
    ...extra
  };
}

/** The REST route of a run of the local workspace. */
export const RUN_ROUTE = (id: string): string =>
  `api/workspaces/local/runs/${id}`;

/** The REST route of a metric's history. */
export const METRIC_ROUTE = (id: string, key = 'loss'): string =>
  `${RUN_ROUTE(id)}/metrics/${key}`;

/**
 * A model following `tracker`'s notebook, with its live client; the socket
 * is `FakeWebSocket.latest()`.
 */
function kernelRunModel(
  server: FakeServer,
  tracker: FakeTracker
): { model: KernelRunModel; live: LiveClient } {
  const serverSettings = server.settings();
  const live = new LiveClient({
    serverSettings,
    WebSocket: FakeWebSocket as unknown as typeof WebSocket,
    initialDelay: 10
  });
  const model = new KernelRunModel({
    client: new AmlClient({ serverSettings }),
    live,
    tracker
  });
  return { model, live };
}

/**
 * What a test of `KernelRunModel` works with: fresh fakes before each test,
 * and the model and live client it created disposed after it.
 */
export interface IKernelRunFixture {
  server: FakeServer;
  tracker: FakeTracker;
  /** The model `create()` made last. */
  model: KernelRunModel;
  live: LiveClient;
  /** Create the model following `tracker`'s notebook. */
  create(): KernelRunModel;
}

/**
 * Set up `beforeEach`/`afterEach` of the calling `describe`; the fixture's
 * fields are those of the test running.
 */
export function kernelRunFixture(): IKernelRunFixture {
  const fixture = {
    create(): KernelRunModel {
      Object.assign(fixture, kernelRunModel(fixture.server, fixture.tracker));
      return fixture.model;
    }
  } as IKernelRunFixture;
  beforeEach(() => {
    FakeWebSocket.reset();
    fixture.server = new FakeServer();
    fixture.tracker = new FakeTracker();
  });
  afterEach(() => {
    fixture.model?.dispose();
    fixture.live?.dispose();
    delete (fixture as Partial<IKernelRunFixture>).model;
    delete (fixture as Partial<IKernelRunFixture>).live;
  });
  return fixture;
}

/**
 * Push `points` of a run's `key` on the latest socket.
 */
export function pushPoints(
  runId: string,
  points: MetricPoint[],
  key = 'loss'
): void {
  FakeWebSocket.latest().receive({
    type: 'metrics',
    workspace: 'local',
    run_id: runId,
    points: { [key]: points }
  });
}

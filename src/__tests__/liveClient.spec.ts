import { ServerConnection } from '@jupyterlab/services';

import { ILiveErrorMessage, ILiveMetricsPush } from '../liveChannel';
import { LiveClient } from '../liveClient';
import { ILiveRunMessage } from '../tokens';
import { liveRun as run } from './fakeKernel';
import { BASE_URL } from './fakeServer';
import { FakeWebSocket, waitFor } from './fakeLiveSocket';

describe('LiveClient', () => {
  let client: LiveClient;

  const create = (
    settings: Partial<ServerConnection.ISettings> = {},
    options: Partial<LiveClient.IOptions> = {}
  ) => {
    client = new LiveClient({
      serverSettings: ServerConnection.makeSettings({
        baseUrl: BASE_URL,
        token: 'secret',
        appendToken: false,
        ...settings
      }),
      WebSocket: FakeWebSocket as unknown as typeof WebSocket,
      initialDelay: 10,
      ...options
    });
    return client;
  };

  beforeEach(() => FakeWebSocket.reset());
  afterEach(() => client?.dispose());

  it('connects to aml/api/live under the ws URL, with the token only when asked', () => {
    create().subscribe('local');
    expect(FakeWebSocket.latest().url).toBe(
      'ws://localhost:8888/a%40b/aml/api/live'
    );
    client.dispose();

    create({ appendToken: true }).subscribe('local');
    expect(FakeWebSocket.latest().url).toBe(
      'ws://localhost:8888/a%40b/aml/api/live?token=secret'
    );
  });

  it('opens no socket until something is subscribed', () => {
    create();
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(client.status).toBe('closed');
  });

  it('shares one server subscription between holders of a target', async () => {
    create();
    const first = client.subscribe('local', 'r1');
    const second = client.subscribe('local', 'r1');
    const socket = FakeWebSocket.latest();
    socket.open();
    expect(socket.sent).toEqual([
      { subscribe: { workspace: 'local', run_id: 'r1' } }
    ]);

    const acks: string[] = [];
    first.acknowledged.connect(() => acks.push('first'));
    second.acknowledged.connect(() => acks.push('second'));
    socket.ackAll();
    expect(acks).toEqual(['first', 'second']);
    expect(first.isAcknowledged).toBe(true);

    // A holder joining later is told at once that the server listens.
    const third = client.subscribe('local', 'r1');
    const late = new Promise(resolve =>
      third.acknowledged.connect((_, ack) => resolve(ack))
    );
    await expect(late).resolves.toEqual({ reconnected: false });
    expect(socket.sent).toHaveLength(1);

    first.dispose();
    second.dispose();
    expect(socket.sent).toHaveLength(1);
    third.dispose();
    third.dispose();
    expect(socket.sent[1]).toEqual({
      unsubscribe: { workspace: 'local', run_id: 'r1' }
    });
  });

  it('subscribes to a workspace without a run id', () => {
    create();
    client.subscribe('local');
    FakeWebSocket.latest().open();
    expect(FakeWebSocket.latest().sent).toEqual([
      { subscribe: { workspace: 'local', run_id: null } }
    ]);
  });

  it('reconnects, subscribes again and tells holders to reload', async () => {
    create();
    const kept = client.subscribe('local', 'r1');
    const dropped = client.subscribe('local', 'r2');
    const workspace = client.subscribe('local');
    const first = FakeWebSocket.latest();
    first.open();
    first.ackAll();
    const acks: boolean[] = [];
    kept.acknowledged.connect((_, ack) => acks.push(ack.reconnected));
    dropped.dispose();

    first.drop(1006);
    expect(client.status).toBe('closed');
    expect(kept.isAcknowledged).toBe(false);
    await waitFor(() => FakeWebSocket.instances.length === 2);
    const second = FakeWebSocket.latest();
    second.open();
    expect(second.subscribed()).toEqual([
      { workspace: 'local', run_id: 'r1' },
      { workspace: 'local', run_id: null }
    ]);
    second.ackAll();
    expect(acks).toEqual([true]);
    expect(workspace.isAcknowledged).toBe(true);
  });

  it('backs off while the server cannot be reached', async () => {
    create({}, { initialDelay: 20, maxDelay: 40 });
    client.subscribe('local');
    const started = Date.now();
    FakeWebSocket.latest().drop(1006);
    await waitFor(() => FakeWebSocket.instances.length === 2);
    FakeWebSocket.latest().drop(1006);
    await waitFor(() => FakeWebSocket.instances.length === 3);
    FakeWebSocket.latest().drop(1006);
    await waitFor(() => FakeWebSocket.instances.length === 4);
    // Delays of 20, 40 and 40 ms, each jittered down to no less than half.
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
  });

  it('comes back at once after falling behind (close 1013)', async () => {
    create({}, { initialDelay: 60 * 1000 });
    client.subscribe('local', 'r1');
    const socket = FakeWebSocket.latest();
    socket.open();
    socket.drop(1013, 'live updates fell behind: reconnect and reload');
    expect(client.closeReason).toMatch(/fell behind/);
    await waitFor(() => FakeWebSocket.instances.length === 2, 1000);
  });

  it('dispatches metrics, run and error messages', () => {
    create();
    const subscription = client.subscribe('local', 'r1');
    const socket = FakeWebSocket.latest();
    socket.open();
    const metrics: ILiveMetricsPush[] = [];
    const runs: ILiveRunMessage[] = [];
    const errors: ILiveErrorMessage[] = [];
    const failures: string[] = [];
    client.metricsReceived.connect((_, m) => metrics.push(m));
    client.runReceived.connect((_, m) => runs.push(m));
    client.errorReceived.connect((_, m) => errors.push(m));
    subscription.failed.connect((_, m) => failures.push(m));

    socket.receive({
      type: 'metrics',
      workspace: 'local',
      run_id: 'r1',
      points: { loss: [[0, 1, 0.5]] },
      sampled: ['loss']
    });
    socket.receive({ type: 'run', workspace: 'local', run: run('r1') });
    socket.onmessage?.({ data: 'not json' });
    socket.receive({
      type: 'error',
      message: 'unknown workspace',
      workspace: 'local',
      run_id: 'r1'
    });

    expect(metrics).toEqual([
      {
        type: 'metrics',
        workspace: 'local',
        run_id: 'r1',
        points: { loss: [[0, 1, 0.5]] },
        sampled: ['loss']
      }
    ]);
    expect(runs.map(m => m.run.run_id)).toEqual(['r1']);
    expect(errors.map(e => e.message)).toEqual(['unknown workspace']);
    expect(failures).toEqual(['unknown workspace']);
    expect(subscription.isAcknowledged).toBe(false);
  });

  it('does not take the ack of an earlier subscribe for a new one', () => {
    create();
    const socket = (() => {
      client.subscribe('local', 'r1').dispose();
      return FakeWebSocket.latest();
    })();
    socket.open();
    const old = client.subscribe('local', 'r1');
    old.dispose();
    const current = client.subscribe('local', 'r1');
    expect(socket.sent.map(m => Object.keys(m)[0])).toEqual([
      'subscribe',
      'unsubscribe',
      'subscribe'
    ]);
    socket.receive({ type: 'subscribed', workspace: 'local', run_id: 'r1' });
    expect(current.isAcknowledged).toBe(false);
    socket.receive({ type: 'unsubscribed', workspace: 'local', run_id: 'r1' });
    socket.receive({ type: 'subscribed', workspace: 'local', run_id: 'r1' });
    expect(current.isAcknowledged).toBe(true);
  });

  it('closes its socket and stops reconnecting when disposed', async () => {
    create();
    const subscription = client.subscribe('local');
    const socket = FakeWebSocket.latest();
    socket.open();
    client.dispose();
    client.dispose();
    expect(socket.readyState).toBe(3);
    expect(subscription.isDisposed).toBe(true);
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

import { JupyterFrontEnd } from '@jupyterlab/application';
import { SettingRegistry } from '@jupyterlab/settingregistry';

import { AmlClient } from '../api';
import { livePlugin } from '../livePlugin';
import { RunDetailModel } from '../runDetailModel';
import { IAmlLive } from '../tokens';
import { FakeWebSocket, waitFor } from './fakeLiveSocket';
import { run } from './fakeRuns';
import { FakeServer } from './fakeServer';
import { MemoryConnector, PLUGIN } from './fakeSettings';

describe('livePlugin', () => {
  let live: IAmlLive;
  let model: RunDetailModel | undefined;

  beforeEach(() => {
    FakeWebSocket.reset();
  });

  afterEach(() => {
    model?.dispose();
    live?.client.dispose();
  });

  it('polls open runs at the pollInterval setting, changes included', async () => {
    const server = new FakeServer();
    server.on('GET', 'api/workspaces/local/runs/r1', {
      body: run(1, { status: 'RUNNING', end_time: null })
    });
    const serverSettings = {
      ...server.settings(),
      WebSocket: FakeWebSocket as unknown as typeof WebSocket
    };
    const connector = new MemoryConnector();
    connector.raw = JSON.stringify({ pollInterval: 3600 });
    const registry = new SettingRegistry({ connector });
    const app = { serviceManager: { serverSettings } } as JupyterFrontEnd;

    live = await livePlugin.activate(app, registry);
    await waitFor(() => live.pollInterval.value === 3600 * 1000);
    // A running run in detail, its live socket down: it is polled.
    model = new RunDetailModel({
      client: new AmlClient({ serverSettings }),
      workspace: 'local',
      runId: 'r1',
      run: run(1, { status: 'RUNNING', end_time: null }),
      live: live.client,
      pollInterval: live.pollInterval
    });
    await model.refresh();
    FakeWebSocket.latest().drop();
    expect(model.followMode).toBe('polling');
    const gets = () => server.calls('GET', 'api/workspaces/local/runs/r1');
    await waitFor(() => gets().length === 2); // the refresh, then one poll
    await new Promise(resolve => setTimeout(resolve, 100));
    expect(gets()).toHaveLength(2);

    await registry.set(PLUGIN, 'pollInterval', 1);

    expect(live.pollInterval.value).toBe(1000);
    await waitFor(() => gets().length === 3, 1500);
  });
});

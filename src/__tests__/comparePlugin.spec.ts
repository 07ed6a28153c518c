import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { CommandRegistry } from '@lumino/commands';

import { AmlClient } from '../api';
import { comparePlugin } from '../compare/comparePlugin';
import { CompareWidget } from '../compare/compareWidget';
import { LiveClient } from '../liveClient';
import { PollInterval } from '../pollInterval';
import { IAmlLive } from '../tokens';
import { serveCompare } from './fakeCompare';
import { FakeWebSocket, waitFor } from './fakeLiveSocket';
import { run } from './fakeRuns';
import { FakeServer } from './fakeServer';

/**
 * The parts of the application the compare plugin uses.
 */
function fakeApp(): JupyterFrontEnd {
  return {
    commands: new CommandRegistry(),
    shell: { add: jest.fn(), activateById: jest.fn() },
    contextMenu: { addItem: jest.fn() },
    contextMenuHitTest: () => undefined
  } as unknown as JupyterFrontEnd;
}

describe('comparePlugin', () => {
  let live: LiveClient;
  const opened: MainAreaWidget<CompareWidget>[] = [];

  beforeEach(() => {
    FakeWebSocket.reset();
  });

  afterEach(() => {
    opened.splice(0).forEach(widget => widget.dispose());
    live?.dispose();
  });

  it('follows RUNNING runs on the live socket the sidebar already holds', async () => {
    const server = new FakeServer();
    serveCompare(server, {
      local: {
        runs: [run(9, { status: 'RUNNING', metrics: { loss: 0.5 } })],
        series: { r9: { loss: [[0, 1000, 0.5]] } }
      }
    });
    const serverSettings = server.settings();
    live = new LiveClient({
      serverSettings,
      WebSocket: FakeWebSocket as unknown as typeof WebSocket
    });
    // The sidebar's live charts watch the workspace on the shared client.
    live.subscribe('local');
    const socket = FakeWebSocket.latest();
    socket.open();
    const app = fakeApp();
    expect(comparePlugin.requires).toContain(IAmlLive);
    comparePlugin.activate(
      app,
      new AmlClient({ serverSettings }),
      { client: live, pollInterval: new PollInterval(60 * 1000) },
      null,
      null
    );

    const widget = (await app.commands.execute('jupyterlab-aml:compare', {
      runs: [{ workspace: 'local', run_id: 'r9' }]
    })) as MainAreaWidget<CompareWidget>;
    opened.push(widget);

    await waitFor(() => socket.subscribed().length === 2);
    expect(socket.subscribed()).toEqual([
      { workspace: 'local', run_id: null },
      { workspace: 'local', run_id: 'r9' }
    ]);
    // One socket per browser tab.
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(widget.content.model.entries[0].run?.status).toBe('RUNNING');
  });
});

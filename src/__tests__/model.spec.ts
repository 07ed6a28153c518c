import { PromiseDelegate } from '@lumino/coreutils';

import { AmlClient } from '../api';
import { WorkspacesModel } from '../model';
import {
  experiment,
  FakeServer,
  IReply,
  until,
  workspace,
  workspaceList
} from './fakeServer';

const EXPERIMENTS = 'api/workspaces/local/experiments';

describe('WorkspacesModel', () => {
  let server: FakeServer;
  let model: WorkspacesModel;

  const createModel = (options: Partial<WorkspacesModel.IOptions> = {}) => {
    model = new WorkspacesModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      autoStart: false,
      pollInterval: 60 * 1000,
      standby: 'never',
      ...options
    });
    return model;
  };

  beforeEach(() => {
    server = new FakeServer();
  });

  afterEach(() => {
    model?.dispose();
  });

  it('polls fast while local starts, then loads its experiments once ready', async () => {
    let calls = 0;
    server
      .on('GET', 'api/workspaces', () => {
        calls++;
        const state = calls < 3 ? 'starting' : 'ready';
        return { body: workspaceList([workspace('local', state)]) };
      })
      .on('GET', EXPERIMENTS, {
        body: {
          experiments: [experiment('0', 'Default')],
          next_page_token: null
        }
      });
    createModel({ startingInterval: 10 });

    await model.refresh();
    expect(model.activeWorkspace?.state).toBe('starting');
    expect(model.experimentsLoaded).toBe(false);
    expect(model.currentInterval).toBe(10);
    expect(server.calls('GET', EXPERIMENTS)).toHaveLength(0);

    // The regular interval is a minute: only the fast poll can get here in time.
    await until(model.stateChanged, () => model.experimentsLoaded, 2000);

    expect(model.active).toBe('local');
    expect(model.experiments.map(e => e.name)).toEqual(['Default']);
    expect(model.currentInterval).toBe(60 * 1000);
    expect(model.error).toBeNull();
  });

  it('reports a failure, keeps the last workspaces, and clears the error on recovery', async () => {
    let reply: IReply = { body: workspaceList([workspace('local')]) };
    server
      .on('GET', 'api/workspaces', () => reply)
      .on('GET', EXPERIMENTS, {
        body: { experiments: [], next_page_token: null }
      });
    createModel();
    await model.refresh();

    reply = { status: 500, body: { message: 'workspaces file is locked' } };
    await model.refresh();

    expect(model.error).toContain('workspaces file is locked');
    expect(model.error).toContain('HTTP 500');
    expect(model.workspaces.map(ws => ws.name)).toEqual(['local']);

    reply = { body: workspaceList([workspace('local')]) };
    await model.refresh();

    expect(model.error).toBeNull();
  });

  it('exposes config_error next to the workspaces', async () => {
    server.on('GET', 'api/workspaces', {
      body: workspaceList(
        [workspace('local', 'starting')],
        'local',
        'workspaces.json: Expecting value: line 1 column 1'
      )
    });
    createModel();

    await model.refresh();

    expect(model.loaded).toBe(true);
    expect(model.configError).toMatch(/^workspaces.json/);
  });

  it('reports a failing experiment list with the workspace name and status', async () => {
    server
      .on('GET', 'api/workspaces', {
        body: workspaceList([workspace('local')])
      })
      .on('GET', EXPERIMENTS, {
        status: 503,
        body: { message: 'Workspace local is not ready' }
      });
    createModel();

    await model.refresh();

    expect(model.error).toBe(
      'Cannot list experiments of "local": Workspace local is not ready (HTTP 503)'
    );
    expect(model.experimentsLoaded).toBe(false);
  });

  it('switches the active workspace on the server and loads its experiments', async () => {
    let active = 'local';
    server
      .on('GET', 'api/workspaces', () => ({
        body: workspaceList([workspace('local'), workspace('team')], active)
      }))
      .on('PUT', 'api/workspaces/active', request => {
        active = JSON.parse(request.body).name;
        return { body: { active } };
      })
      .on('GET', EXPERIMENTS, {
        body: {
          experiments: [experiment('0', 'Default')],
          next_page_token: null
        }
      })
      .on('GET', 'api/workspaces/team/experiments', {
        body: {
          experiments: [experiment('7', 'churn')],
          next_page_token: 'more'
        }
      });
    createModel();
    await model.refresh();

    await model.setActive('team');

    expect(active).toBe('team');
    expect(model.active).toBe('team');
    expect(model.experiments.map(e => e.name)).toEqual(['churn']);
    expect(model.hasMoreExperiments).toBe(true);
  });

  it('rejects and records an error when the server refuses a switch', async () => {
    server
      .on('GET', 'api/workspaces', {
        body: workspaceList([workspace('local')])
      })
      .on('GET', EXPERIMENTS, {
        body: { experiments: [], next_page_token: null }
      })
      .on('PUT', 'api/workspaces/active', {
        status: 404,
        body: { message: 'Unknown workspace: gone' }
      });
    createModel();
    await model.refresh();

    await expect(model.setActive('gone')).rejects.toThrow(
      'Unknown workspace: gone'
    );

    expect(model.active).toBe('local');
    expect(model.error).toContain('Unknown workspace: gone');
  });

  it('drops an experiment list that arrives after the active workspace changed', async () => {
    let active = 'local';
    const slowLocal = new PromiseDelegate<IReply>();
    server
      .on('GET', 'api/workspaces', () => ({
        body: workspaceList([workspace('local'), workspace('team')], active)
      }))
      .on('PUT', 'api/workspaces/active', request => {
        active = JSON.parse(request.body).name;
        return { body: { active } };
      })
      .on('GET', EXPERIMENTS, () => slowLocal.promise)
      .on('GET', 'api/workspaces/team/experiments', {
        body: { experiments: [experiment('7', 'churn')], next_page_token: null }
      });
    createModel();
    void model.start();
    await waitFor(() => server.calls('GET', EXPERIMENTS).length === 1);

    await model.setActive('team');
    slowLocal.resolve({
      body: { experiments: [experiment('0', 'Default')], next_page_token: null }
    });
    await new Promise(resolve => setTimeout(resolve, 20));

    expect(model.active).toBe('team');
    expect(model.experiments.map(e => e.name)).toEqual(['churn']);
  });

  it('makes the configured default workspace active on the first reply', async () => {
    let active = 'local';
    server
      .on('GET', 'api/workspaces', () => ({
        body: workspaceList(
          [workspace('local'), workspace('team', 'starting')],
          active
        )
      }))
      .on('PUT', 'api/workspaces/active', request => {
        active = JSON.parse(request.body).name;
        return { body: { active } };
      });
    createModel({ defaultWorkspace: 'team' });

    await model.refresh();

    expect(model.active).toBe('team');
    expect(server.calls('PUT', 'api/workspaces/active')).toHaveLength(1);

    // Only once: a later switch back to local is the user's choice.
    active = 'local';
    await model.refresh();
    expect(model.active).toBe('local');
    expect(server.calls('PUT', 'api/workspaces/active')).toHaveLength(1);
  });

  it('ignores a default workspace that does not exist', async () => {
    server.on('GET', 'api/workspaces', {
      body: workspaceList([workspace('local', 'starting')])
    });
    createModel({ defaultWorkspace: 'missing' });

    await model.refresh();

    expect(model.active).toBe('local');
    expect(server.calls('PUT', 'api/workspaces/active')).toHaveLength(0);
  });

  it('stops polling on dispose, and dispose is safe twice', async () => {
    server.on('GET', 'api/workspaces', {
      body: workspaceList([workspace('local', 'starting')])
    });
    createModel({ startingInterval: 5 });
    await model.refresh();

    model.dispose();
    model.dispose();
    const seen = server.requests.length;
    await new Promise(resolve => setTimeout(resolve, 50));

    expect(model.isDisposed).toBe(true);
    expect(server.requests.length).toBe(seen);
  });

  it('rejects a non-positive poll interval', () => {
    createModel();

    expect(() => {
      model.pollInterval = 0;
    }).toThrow(/Invalid polling interval/);
    model.pollInterval = 2500;
    expect(model.currentInterval).toBe(2500);
  });
});

/**
 * Resolve once `predicate` holds, checking every few milliseconds.
 */
async function waitFor(
  predicate: () => boolean,
  timeoutMs = 2000
): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`Condition not met within ${timeoutMs} ms`);
    }
    await new Promise(resolve => setTimeout(resolve, 5));
  }
}

import { AmlClient } from '../api';
import { WorkspacesModel } from '../model';
import { RunsModel } from '../runsModel';
import { SignInModel } from '../signIn';
import { EMPTY_EXPERIMENTS_TEXT } from '../widgets/experiments';
import { RunsSection } from '../widgets/runsSection';
import { AmlSidebar } from '../widgets/sidebar';
import { WorkspacesSection } from '../widgets/workspacesSection';
import {
  experiment,
  FakeServer,
  until,
  workspace,
  workspaceList
} from './fakeServer';

describe('AmlSidebar', () => {
  let server: FakeServer;
  let model: WorkspacesModel;
  let runs: RunsModel;
  let signIns: SignInModel;
  let sidebar: AmlSidebar;

  const create = async () => {
    const client = new AmlClient({ serverSettings: server.settings() });
    model = new WorkspacesModel({
      client,
      autoStart: false,
      pollInterval: 60 * 1000,
      standby: 'never'
    });
    runs = new RunsModel({ client, autoStart: false, standby: 'never' });
    signIns = new SignInModel({ client, workspaces: model });
    const actions = {
      add: jest.fn(),
      remove: jest.fn(),
      signIn: jest.fn(),
      addDetected: jest.fn()
    };
    sidebar = new AmlSidebar({
      model,
      sections: [
        new WorkspacesSection({ model, signIns, actions }),
        new RunsSection({ workspaces: model, runs })
      ]
    });
    await model.refresh();
  };
  const query = <T extends HTMLElement = HTMLElement>(selector: string) =>
    sidebar.node.querySelector<T>(selector)!;
  const rows = () =>
    Array.from(sidebar.node.querySelectorAll<HTMLElement>('.jp-aml-workspace'));

  beforeEach(() => {
    server = new FakeServer();
  });

  afterEach(() => {
    sidebar?.dispose();
    signIns?.dispose();
    runs?.dispose();
    model?.dispose();
  });

  it('renders each workspace state, its detail, and the ready experiments', async () => {
    server
      .on('GET', 'api/workspaces', {
        body: workspaceList([
          workspace('local'),
          workspace('team', 'starting'),
          workspace('aml', 'error', { detail: 'ARM returned 403: no access' }),
          workspace('sso', 'signed_out')
        ])
      })
      .on('GET', 'api/workspaces/local/experiments', {
        body: {
          experiments: [experiment('0', 'Default'), experiment('3', 'mnist')],
          next_page_token: null
        }
      });

    await create();

    expect(sidebar.id).toBe('jp-aml-sidebar');
    expect(sidebar.title.caption).toBe('Experiment tracking');
    expect(rows().map(r => [r.dataset.name, r.dataset.state])).toEqual([
      ['local', 'ready'],
      ['team', 'starting'],
      ['aml', 'error'],
      ['sso', 'signed_out']
    ]);
    expect(rows()[0].dataset.active).toBe('true');
    expect(rows()[1].querySelector('.jp-aml-spinner')).not.toBeNull();
    expect(rows()[0].querySelector('.jp-aml-spinner')).toBeNull();
    expect(rows()[2].textContent).toContain('ARM returned 403: no access');
    const list = query('.jp-aml-runs-experiment-list');
    expect(list.dataset.count).toBe('2');
    expect(list.dataset.workspace).toBe('local');
    expect(list.textContent).toContain('Default');
    expect(list.textContent).toContain('mnist');
    expect(query('.jp-aml-config-error').hidden).toBe(true);
  });

  it('shows the config error and a starting note, with no experiment count', async () => {
    server.on('GET', 'api/workspaces', {
      body: workspaceList(
        [workspace('local', 'starting')],
        'local',
        'Cannot read workspaces.json: line 3'
      )
    });

    await create();

    const banner = query('.jp-aml-config-error');
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toBe('Cannot read workspaces.json: line 3');
    const list = query('.jp-aml-runs-experiment-list');
    expect(list.dataset.count).toBeUndefined();
    expect(list.dataset.loaded).toBe('false');
    expect(query('.jp-aml-experiments-note').textContent).toContain(
      'is starting'
    );
  });

  it('says what to do next when there are no experiments', async () => {
    server
      .on('GET', 'api/workspaces', {
        body: workspaceList([workspace('local')])
      })
      .on('GET', 'api/workspaces/local/experiments', {
        body: { experiments: [], next_page_token: null }
      });

    await create();

    expect(query('.jp-aml-runs-experiment-list').dataset.count).toBe('0');
    const note = query('.jp-aml-experiments-note');
    expect(note.hidden).toBe(false);
    expect(note.textContent).toBe(EMPTY_EXPERIMENTS_TEXT);
    expect(note.textContent).toContain('mlflow.log_metric');
  });

  it('switches the active workspace from the picker', async () => {
    let active = 'local';
    server
      .on('GET', 'api/workspaces', () => ({
        body: workspaceList([workspace('local'), workspace('team')], active)
      }))
      .on('PUT', 'api/workspaces/active', request => {
        active = JSON.parse(request.body).name;
        return { body: { active } };
      })
      .on('GET', 'api/workspaces/local/experiments', {
        body: {
          experiments: [experiment('0', 'Default')],
          next_page_token: null
        }
      })
      .on('GET', 'api/workspaces/team/experiments', {
        body: { experiments: [experiment('9', 'churn')], next_page_token: null }
      });
    await create();
    const picker = query<HTMLSelectElement>('.jp-aml-workspace-picker');
    expect(Array.from(picker.options).map(o => o.value)).toEqual([
      'local',
      'team'
    ]);
    expect(picker.value).toBe('local');

    picker.value = 'team';
    picker.dispatchEvent(new Event('change'));
    await until(
      model.stateChanged,
      () => model.experiments[0]?.name === 'churn'
    );

    expect(server.calls('PUT', 'api/workspaces/active')).toHaveLength(1);
    expect(query('.jp-aml-runs-experiment-list').dataset.workspace).toBe(
      'team'
    );
    expect(rows().find(r => r.dataset.active === 'true')?.dataset.name).toBe(
      'team'
    );
  });

  it('shows a request failure in the error banner', async () => {
    server.on('GET', 'api/workspaces', {
      status: 403,
      body: { message: 'Forbidden: jupyterlab_aml' }
    });

    await create();

    const banner = query('.jp-aml-error');
    expect(banner.hidden).toBe(false);
    expect(banner.textContent).toContain('Forbidden: jupyterlab_aml');
  });

  it('stops rendering after dispose, and dispose is safe twice', async () => {
    let state: 'starting' | 'ready' = 'starting';
    server
      .on('GET', 'api/workspaces', () => ({
        body: workspaceList([workspace('local', state)])
      }))
      .on('GET', 'api/workspaces/local/experiments', {
        body: { experiments: [], next_page_token: null }
      });
    await create();

    sidebar.dispose();
    sidebar.dispose();
    state = 'ready';
    await model.refresh();

    expect(sidebar.isDisposed).toBe(true);
    expect(model.activeWorkspace?.state).toBe('ready');
    expect(rows()[0].dataset.state).toBe('starting');
  });
});

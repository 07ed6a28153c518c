import { Dialog } from '@jupyterlab/apputils';

import { AmlClient } from '../api';
import { WorkspacesModel } from '../model';
import { AddWorkspaceRequest } from '../tokens';
import {
  CUSTOM_CLOUD,
  detectedRequest,
  emptyWorkspaceForm,
  IWorkspaceFormValues,
  validateWorkspaceForm,
  visibleFields,
  workspaceRequest
} from '../workspaceForm';
import { showAddWorkspaceDialog } from '../widgets/workspaceDialogs';
import { FakeServer, workspace, workspaceList } from './fakeServer';
import { waitFor } from './fakeLiveSocket';

const form = (values: Partial<IWorkspaceFormValues>): IWorkspaceFormValues => ({
  ...emptyWorkspaceForm(),
  ...values
});

describe('workspace form', () => {
  it('asks for a valid, free name', () => {
    expect(validateWorkspaceForm(form({ uri: 'http://x' })).name).toMatch(
      /name/
    );
    expect(
      validateWorkspaceForm(form({ name: '-bad', uri: 'http://x' })).name
    ).toMatch(/letters, digits/);
    expect(
      validateWorkspaceForm(form({ name: 'local', uri: 'http://x' })).name
    ).toMatch(/reserved/);
    expect(
      validateWorkspaceForm(form({ name: 'team', uri: 'http://x' }), ['team'])
        .name
    ).toMatch(/already exists/);
    expect(
      validateWorkspaceForm(form({ name: 'team.2', uri: 'http://x' }), ['team'])
    ).toEqual({});
  });

  it('asks for the fields of the chosen MLflow auth only', () => {
    const base = { name: 'team', uri: 'https://mlflow.example.com' };
    expect(validateWorkspaceForm(form({ ...base, auth: 'token' }))).toEqual({
      token: expect.stringMatching(/token/)
    });
    expect(
      Object.keys(
        validateWorkspaceForm(form({ ...base, auth: 'basic', username: 'me' }))
      )
    ).toEqual(['password']);
    expect(validateWorkspaceForm(form({ name: 'team' })).uri).toMatch(
      /address/
    );
    expect(visibleFields(form({ auth: 'basic' }))).toEqual([
      'kind',
      'name',
      'uri',
      'auth',
      'username',
      'password'
    ]);
  });

  it('asks for the Azure ML coordinates, and checks the choices', () => {
    const errors = validateWorkspaceForm(
      form({ kind: 'azureml', name: 'aml', cloud: 'Mars' as any })
    );
    expect(Object.keys(errors).sort()).toEqual([
      'cloud',
      'resource_group',
      'subscription_id',
      'workspace_name'
    ]);
  });

  it('sends only the fields of the kind, secrets only when chosen', () => {
    expect(
      workspaceRequest(
        form({
          name: ' team ',
          uri: ' https://m.example.com ',
          auth: 'none',
          token: 'left over from another choice'
        })
      )
    ).toEqual({ name: 'team', kind: 'mlflow', uri: 'https://m.example.com' });
    expect(
      workspaceRequest(
        form({
          name: 'team',
          uri: 'https://m.example.com',
          auth: 'basic',
          username: 'me',
          password: ' p w '
        })
      )
    ).toEqual({
      name: 'team',
      kind: 'mlflow',
      uri: 'https://m.example.com',
      username: 'me',
      password: ' p w '
    });
    expect(
      workspaceRequest(
        form({
          kind: 'azureml',
          name: 'aml',
          uri: 'ignored',
          subscription_id: 'sub',
          resource_group: 'rg',
          workspace_name: 'ws',
          cloud: 'AzureChinaCloud',
          credential: 'device_code',
          authority_host: 'https://login.example.cn'
        })
      )
    ).toEqual({
      name: 'aml',
      kind: 'azureml',
      subscription_id: 'sub',
      resource_group: 'rg',
      workspace_name: 'ws',
      cloud: 'AzureChinaCloud',
      credential: 'device_code',
      authority_host: 'https://login.example.cn'
    });
  });

  it('sends no cloud for a custom one, which needs its ARM endpoint', () => {
    const custom = form({
      kind: 'azureml',
      name: 'stack',
      subscription_id: 'sub',
      resource_group: 'rg',
      workspace_name: 'ws',
      cloud: CUSTOM_CLOUD
    });
    expect(validateWorkspaceForm(custom)).toEqual({
      arm_endpoint: expect.stringContaining('ARM endpoint')
    });
    const withEndpoint = {
      ...custom,
      arm_endpoint: ' https://management.local.azurestack.external ',
      token_scope: 'https://management.adfs.azurestack.local/abc/.default'
    };
    expect(validateWorkspaceForm(withEndpoint)).toEqual({});
    expect(workspaceRequest(withEndpoint)).toEqual({
      name: 'stack',
      kind: 'azureml',
      subscription_id: 'sub',
      resource_group: 'rg',
      workspace_name: 'ws',
      credential: 'default',
      arm_endpoint: 'https://management.local.azurestack.external',
      token_scope: 'https://management.adfs.azurestack.local/abc/.default'
    });
  });

  it('adds a detected workspace with the default credential', () => {
    expect(
      detectedRequest({
        name: 'ws-2',
        kind: 'azureml',
        subscription_id: 's',
        resource_group: 'r',
        workspace_name: 'ws',
        source: '.azureml/config.json'
      })
    ).toEqual({
      name: 'ws-2',
      kind: 'azureml',
      subscription_id: 's',
      resource_group: 'r',
      workspace_name: 'ws',
      credential: 'default'
    });
  });
});

describe('showAddWorkspaceDialog', () => {
  let server: FakeServer;
  let model: WorkspacesModel;

  beforeEach(() => {
    server = new FakeServer();
    model = new WorkspacesModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      autoStart: false,
      standby: 'never'
    });
  });

  afterEach(() => {
    model.dispose();
    Dialog.flush();
  });

  const dialogNode = () => document.querySelector<HTMLElement>('.jp-Dialog')!;
  const field = (name: string) =>
    dialogNode().querySelector<HTMLInputElement>(`[name="${name}"]`)!;
  const type = (name: string, value: string) => {
    field(name).value = value;
    field(name).dispatchEvent(new Event('input', { bubbles: true }));
  };
  const accept = () =>
    dialogNode().querySelector<HTMLButtonElement>('.jp-mod-accept')!.click();

  it('keeps the dialog open with the input and the server message, then adds', async () => {
    const added: string[] = [];
    server
      .on('GET', 'api/workspaces', () => ({
        body: workspaceList([
          workspace('local'),
          ...added.map(name => workspace(name))
        ])
      }))
      .on('POST', 'api/workspaces', request => {
        const body = JSON.parse(request.body);
        if (!body.uri.startsWith('http')) {
          return {
            status: 400,
            body: {
              message: `uri must be an http(s) URL of an MLflow server, got '${body.uri}'`
            }
          };
        }
        added.push(body.name);
        return { status: 201, body: workspace(body.name) };
      });
    const result = showAddWorkspaceDialog({
      add: request => model.add(request),
      existing: ['local']
    });
    await waitFor(() => !!document.querySelector('.jp-Dialog'));

    // Nothing typed: the form says what is missing, and nothing is sent.
    await accept();
    await waitFor(
      () => !!dialogNode().querySelector('.jp-aml-field-error:not([hidden])')
    );
    expect(server.calls('POST', 'api/workspaces')).toHaveLength(0);
    expect(field('name').getAttribute('aria-invalid')).toBe('true');

    type('name', 'team');
    type('uri', 'ftp://nowhere');
    type('token', 'must not be sent');
    await accept();
    const error = () =>
      dialogNode().querySelector<HTMLElement>('.jp-aml-form-error')!;
    await waitFor(() => !error().hidden);
    expect(error().textContent).toContain(
      "uri must be an http(s) URL of an MLflow server, got 'ftp://nowhere'"
    );
    expect(error().textContent).toContain('HTTP 400');
    // Still open, with what the user typed.
    expect(document.querySelector('.jp-Dialog')).not.toBeNull();
    expect(field('name').value).toBe('team');
    expect(field('uri').value).toBe('ftp://nowhere');
    const sent = JSON.parse(server.calls('POST', 'api/workspaces')[0].body);
    expect(sent).toEqual({
      name: 'team',
      kind: 'mlflow',
      uri: 'ftp://nowhere'
    });

    // Typing clears the server's message; a good URI closes the dialog.
    type('uri', 'http://127.0.0.1:5000');
    expect(error().hidden).toBe(true);
    await accept();
    const request: AddWorkspaceRequest | null = await result;
    expect(request).toEqual({
      name: 'team',
      kind: 'mlflow',
      uri: 'http://127.0.0.1:5000'
    });
    expect(document.querySelector('.jp-Dialog')).toBeNull();
    expect(model.workspaces.map(ws => ws.name)).toEqual(['local', 'team']);
  });

  it('shows the Azure ML fields for that kind and resolves null on cancel', async () => {
    const result = showAddWorkspaceDialog({
      add: () => Promise.reject(new Error('not called')),
      existing: [],
      initial: { kind: 'azureml' }
    });
    await waitFor(() => !!document.querySelector('.jp-Dialog'));
    const row = (name: string) =>
      dialogNode().querySelector<HTMLElement>(`[data-field="${name}"]`)!;
    expect(row('subscription_id').hidden).toBe(false);
    expect(row('uri').hidden).toBe(true);
    expect(
      Array.from(field('credential').querySelectorAll('option'), o => o.value)
    ).toEqual([
      'default',
      'cli',
      'managed_identity',
      'environment',
      'device_code'
    ]);
    expect(
      Array.from(field('cloud').querySelectorAll('option'), o => o.value)
    ).toEqual(['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment', 'custom']);

    const kind = field('kind') as unknown as HTMLSelectElement;
    kind.value = 'mlflow';
    kind.dispatchEvent(new Event('change', { bubbles: true }));
    expect(row('uri').hidden).toBe(false);
    expect(row('subscription_id').hidden).toBe(true);

    dialogNode().querySelector<HTMLButtonElement>('.jp-mod-reject')!.click();
    expect(await result).toBeNull();
  });
});

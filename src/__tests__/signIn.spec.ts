import { Widget } from '@lumino/widgets';

import { AmlClient } from '../api';
import { WorkspacesModel } from '../model';
import { ISignInState, nextSignInState, SignInModel } from '../signIn';
import { IWorkspace } from '../tokens';
import { identityLine } from '../widgets/workspaces';
import { WorkspacesSection } from '../widgets/workspacesSection';
import { waitFor } from './fakeLiveSocket';
import { FakeServer, until, workspace, workspaceList } from './fakeServer';

const NOW = 1_700_000_000_000;

const aml = (state: IWorkspace['state'], detail = '', extra = {}) =>
  workspace('aml', state, { kind: 'azureml', detail, ...extra });

const flow = (extra: Partial<ISignInState>): ISignInState => ({
  phase: 'device-code',
  userCode: 'ABCD-1234',
  verificationUri: 'https://microsoft.com/devicelogin',
  expiresAt: NOW + 15 * 60 * 1000,
  message: null,
  startedAt: NOW,
  baseline: null,
  ...extra
});

describe('nextSignInState', () => {
  it('waits for the user while the workspace looks as it did at first', () => {
    const waiting = aml('signed_out', 'Waiting for sign-in: enter ABCD-1234');
    const first = nextSignInState(flow({}), waiting, NOW + 1000)!;
    expect(first.phase).toBe('device-code');
    expect(first.baseline).not.toBeNull();
    expect(nextSignInState(first, waiting, NOW + 2000)).toEqual(first);
    // Signed in: the workspace connects, then is ready and the code goes.
    expect(nextSignInState(first, aml('starting'), NOW + 3000)?.phase).toBe(
      'device-code'
    );
    expect(nextSignInState(first, aml('ready'), NOW + 4000)).toBeNull();
  });

  it('fails with the workspace detail when the device code sign-in fails', () => {
    const first = nextSignInState(
      flow({}),
      aml('signed_out', 'Waiting for sign-in'),
      NOW
    )!;
    const failed = nextSignInState(
      first,
      aml('signed_out', 'Device code sign-in did not complete: declined'),
      NOW + 1000
    )!;
    expect(failed.phase).toBe('failed');
    expect(failed.message).toBe(
      'Device code sign-in did not complete: declined'
    );
    // An outcome stays until the user dismisses it or the workspace is ready.
    expect(nextSignInState(failed, aml('signed_out', 'x'), NOW + 2000)).toBe(
      failed
    );
    expect(nextSignInState(failed, aml('ready'), NOW + 3000)).toBeNull();
  });

  it('expires with the code', () => {
    const state = flow({ expiresAt: NOW + 1000 });
    const seen = aml('signed_out', 'Waiting for sign-in');
    expect(nextSignInState(state, seen, NOW + 999)?.phase).toBe('device-code');
    expect(nextSignInState(state, seen, NOW + 1000)?.phase).toBe('expired');
  });

  it('takes the first state after a credential retry as its answer', () => {
    const retry = flow({
      phase: 'waiting',
      userCode: null,
      verificationUri: null,
      expiresAt: null
    });
    const trying = nextSignInState(retry, aml('starting'), NOW + 500)!;
    expect(trying.phase).toBe('waiting');
    const failed = nextSignInState(
      trying,
      aml('signed_out', 'Please run az login.'),
      NOW + 1000
    )!;
    expect(failed).toMatchObject({
      phase: 'failed',
      message: 'Please run az login.'
    });
    expect(nextSignInState(trying, aml('ready'), NOW + 1000)).toBeNull();
    // A retry that never ends is not waited for forever.
    expect(
      nextSignInState(trying, aml('starting'), NOW + 10 * 60 * 1000)?.phase
    ).toBe('failed');
  });

  it('leaves a request on its way alone, and ends with the workspace', () => {
    const requesting = flow({ phase: 'requesting' });
    expect(nextSignInState(requesting, aml('ready'), NOW)).toBe(requesting);
    expect(nextSignInState(flow({}), undefined, NOW)).toBeNull();
  });
});

describe('SignInModel and the workspaces section', () => {
  let server: FakeServer;
  let model: WorkspacesModel;
  let signIns: SignInModel;
  let section: WorkspacesSection;
  let current: IWorkspace;
  const actions = {
    add: jest.fn(),
    remove: jest.fn(),
    signIn: jest.fn(),
    addDetected: jest.fn()
  };

  beforeEach(async () => {
    jest.clearAllMocks();
    server = new FakeServer();
    current = aml('signed_out', 'Click Sign in.', {
      credential: 'device_code'
    });
    server.on('GET', 'api/workspaces', () => ({
      body: {
        ...workspaceList([workspace('local'), current]),
        detected: [
          {
            name: 'prod-ws',
            kind: 'azureml',
            subscription_id: 'sub',
            resource_group: 'rg',
            workspace_name: 'prod ws',
            source: '.azureml/config.json'
          }
        ]
      }
    }));
    const client = new AmlClient({ serverSettings: server.settings() });
    model = new WorkspacesModel({
      client,
      autoStart: false,
      pollInterval: 60 * 1000,
      standby: 'never'
    });
    signIns = new SignInModel({ client, workspaces: model, now: () => NOW });
    section = new WorkspacesSection({
      model,
      signIns,
      actions,
      now: () => NOW
    });
    Widget.attach(section, document.body);
    await model.refresh();
  });

  afterEach(() => {
    section.dispose();
    signIns.dispose();
    model.dispose();
  });

  const row = (name: string) =>
    section.node.querySelector<HTMLElement>(
      `.jp-aml-workspace[data-name="${name}"]`
    )!;
  const click = (element: Element | null) =>
    (element as HTMLElement).dispatchEvent(
      new MouseEvent('click', { bubbles: true })
    );

  it('shows the device code until the workspace is ready', async () => {
    server.on('POST', 'api/workspaces/aml/sign-in', {
      status: 202,
      body: {
        user_code: 'ABCD-1234',
        verification_uri: 'https://microsoft.com/devicelogin',
        expires_on: NOW / 1000 + 900,
        message: 'To sign in, open https://microsoft.com/devicelogin'
      }
    });
    // The button is there while signed out; local has no Remove button.
    expect(row('aml').querySelector('[data-action="sign-in"]')).not.toBeNull();
    expect(row('local').querySelector('[data-action="remove"]')).toBeNull();
    click(row('aml').querySelector('[data-action="sign-in"]'));
    expect(actions.signIn).toHaveBeenCalledWith('aml');

    current = aml('signed_out', 'Waiting for sign-in: enter the code.');
    await signIns.start('aml');
    const panel = () =>
      row('aml').querySelector<HTMLElement>('.jp-aml-sign-in');
    expect(panel()?.dataset.phase).toBe('device-code');
    expect(panel()!.querySelector('.jp-aml-sign-in-code')!.textContent).toBe(
      'ABCD-1234'
    );
    const link = panel()!.querySelector<HTMLAnchorElement>('a')!;
    expect(link.href).toBe('https://microsoft.com/devicelogin');
    expect(link.target).toBe('_blank');
    expect(link.rel).toContain('noopener');
    expect(panel()!.textContent).toContain('expires in 15 min');
    // No second Sign in while one waits; the model polls fast meanwhile.
    expect(row('aml').querySelector('[data-action="sign-in"]')).toBeNull();
    expect(model.currentInterval).toBe(WorkspacesModel.STARTING_POLL_INTERVAL);

    current = aml('ready', '', {
      identity: 'ada@example.com',
      token_expires_on: NOW / 1000 + 42 * 60
    });
    await model.refresh();
    expect(panel()).toBeNull();
    expect(
      row('aml').querySelector('.jp-aml-workspace-identity')!.textContent
    ).toBe('Signed in as ada@example.com · token renews in 42 min');
    expect(model.currentInterval).toBe(60 * 1000);
  });

  it('shows progress for a credential retry, then why it failed', async () => {
    server.on('POST', 'api/workspaces/aml/sign-in', {
      status: 202,
      body: {
        user_code: null,
        verification_uri: null,
        expires_on: null,
        message: null
      }
    });
    current = aml('starting', 'signing in with Azure CLI');
    await signIns.start('aml');
    const panel = () =>
      row('aml').querySelector<HTMLElement>('.jp-aml-sign-in');
    expect(panel()?.dataset.phase).toBe('waiting');
    expect(panel()!.querySelector('[role="progressbar"]')).not.toBeNull();

    current = aml('signed_out', 'Please run az login, then click Sign in.');
    await model.refresh();
    expect(panel()?.dataset.phase).toBe('failed');
    expect(panel()!.textContent).toContain('Please run az login');
    click(panel()!.querySelector('[data-action="dismiss-sign-in"]'));
    expect(panel()).toBeNull();
    expect(model.currentInterval).toBe(60 * 1000);
  });

  it('shows why the sign-in request failed', async () => {
    server.on('POST', 'api/workspaces/aml/sign-in', {
      status: 504,
      body: { message: 'login.example.com did not issue a device code in time' }
    });
    await signIns.start('aml');
    const panel = row('aml').querySelector<HTMLElement>('.jp-aml-sign-in')!;
    expect(panel.dataset.phase).toBe('failed');
    expect(panel.textContent).toContain('did not issue a device code in time');
    expect(panel.textContent).toContain('HTTP 504');
  });

  it('offers the workspaces found in config files and dispatches removal', () => {
    const detected =
      section.node.querySelector<HTMLElement>('.jp-aml-detected')!;
    expect(detected.textContent).toContain(
      'Detected in .azureml/config.json: prod ws'
    );
    click(detected.querySelector('[data-action="add-detected"]'));
    expect(actions.addDetected).toHaveBeenCalledWith(
      expect.objectContaining({ name: 'prod-ws', workspace_name: 'prod ws' })
    );
    click(row('aml').querySelector('[data-action="remove"]'));
    expect(actions.remove).toHaveBeenCalledWith('aml');
  });

  it('reads a token expiry relative to now, also once it passed', () => {
    const ws = aml('ready', '', {
      identity: 'svc',
      token_expires_on: NOW / 1000 - 180
    });
    expect(identityLine(ws, NOW)).toBe(
      'Signed in as svc · token expired 3 min ago'
    );
    expect(identityLine(aml('ready'), NOW)).toBeNull();
  });

  it('comes back to normal polling when the code expires', async () => {
    server.on('POST', 'api/workspaces/aml/sign-in', {
      status: 202,
      body: {
        user_code: 'X',
        verification_uri: 'https://microsoft.com/devicelogin',
        expires_on: Date.now() / 1000 + 0.2,
        message: null
      }
    });
    signIns.dispose();
    signIns = new SignInModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      workspaces: model
    });
    await signIns.start('aml');
    expect(signIns.get('aml')?.phase).toBe('device-code');
    await until(signIns.changed, () => signIns.get('aml')?.phase === 'expired');
    await waitFor(() => model.currentInterval === 60 * 1000);
  });
});

import { ServerConnection } from '@jupyterlab/services';

import { AmlClient } from '../api';
import { requestAPI } from '../request';
import { BASE_URL, FakeServer, workspace, workspaceList } from './fakeServer';

describe('AmlClient', () => {
  let server: FakeServer;
  let client: AmlClient;

  beforeEach(() => {
    server = new FakeServer();
    client = new AmlClient({ serverSettings: server.settings() });
  });

  it('lists workspaces from {base}aml/api/workspaces with Jupyter auth', async () => {
    const list = workspaceList([workspace('local')], 'local', 'bad file');
    server.on('GET', 'api/workspaces', { body: list });

    const reply = await client.listWorkspaces();

    expect(reply).toEqual(list);
    const [request] = server.requests;
    expect(request.url.pathname).toBe('/a%40b/aml/api/workspaces');
    expect(request.headers.get('Authorization')).toBe('token test-token');
  });

  it('encodes workspace names and builds the experiments query', async () => {
    server.on('GET', 'api/workspaces/team%2Fws%20%231/experiments', {
      body: { experiments: [], next_page_token: null }
    });

    await client.listExperiments('team/ws #1', {
      filter: "name = 'a&b'",
      max_results: 5
    });

    const [request] = server.requests;
    expect(request.route).toBe('api/workspaces/team%2Fws%20%231/experiments');
    expect(request.url.searchParams.get('filter')).toBe("name = 'a&b'");
    expect(request.url.searchParams.get('max_results')).toBe('5');
    expect(request.url.searchParams.has('page_token')).toBe(false);
  });

  it('joins experiment ids with commas and passes order_by through', async () => {
    server.on('GET', 'api/workspaces/local/runs', {
      body: { runs: [], next_page_token: 'next' }
    });

    const page = await client.searchRuns('local', {
      experiment_ids: ['1', '2'],
      order_by: 'metrics.loss ASC',
      page_token: 'abc'
    });

    expect(page.next_page_token).toBe('next');
    const params = server.requests[0].url.searchParams;
    expect(params.get('experiment_ids')).toBe('1,2');
    expect(params.get('order_by')).toBe('metrics.loss ASC');
    expect(params.get('page_token')).toBe('abc');
  });

  it('keeps a metric key with a slash inside one path segment', async () => {
    const route = 'api/workspaces/local/runs/r1/metrics/train%2Floss';
    server.on('GET', route, {
      body: {
        key: 'train/loss',
        run_id: 'r1',
        total_points: 1,
        sampled: false,
        min: { step: 0, value: 1 },
        max: { step: 0, value: 1 },
        last: { step: 0, timestamp: 1, value: 1 },
        points: [[0, 1, null]]
      }
    });

    const history = await client.getMetricHistory('local', 'r1', 'train/loss', {
      max_points: 500,
      start_step: 0
    });

    expect(history.points).toEqual([[0, 1, null]]);
    const params = server.calls('GET', route)[0].url.searchParams;
    expect(params.get('max_points')).toBe('500');
    expect(params.get('start_step')).toBe('0');
    expect(params.has('end_step')).toBe(false);
  });

  it('rejects "." and ".." names before any request is made', async () => {
    await expect(client.getRun('..', 'r1')).rejects.toThrow(/Invalid name/);
    await expect(client.removeWorkspace('.')).rejects.toThrow(/Invalid name/);
    expect(server.requests).toHaveLength(0);
  });

  it('sends JSON bodies with the verbs of the contract', async () => {
    server
      .on('POST', 'api/workspaces', {
        status: 201,
        body: workspace('team', 'starting')
      })
      .on('PUT', 'api/workspaces/active', { body: { active: 'team' } })
      .on('POST', 'api/workspaces/local/compare', {
        body: { runs: [], series: {} }
      });

    const added = await client.addWorkspace({
      name: 'team',
      kind: 'mlflow',
      uri: 'http://mlflow.example:5000'
    });
    const active = await client.setActiveWorkspace('team');
    await client.compare('local', {
      run_ids: ['a'],
      keys: null,
      max_points: 10
    });

    expect(added.state).toBe('starting');
    expect(active).toEqual({ active: 'team' });
    const bodies = server.requests.map(r => [r.method, JSON.parse(r.body)]);
    expect(bodies).toEqual([
      [
        'POST',
        { name: 'team', kind: 'mlflow', uri: 'http://mlflow.example:5000' }
      ],
      ['PUT', { name: 'team' }],
      ['POST', { run_ids: ['a'], keys: null, max_points: 10 }]
    ]);
    expect(server.requests[1].headers.get('Content-Type')).toBe(
      'application/json'
    );
  });

  it('resolves an empty 204 reply to undefined', async () => {
    server.on('DELETE', 'api/workspaces/team', { status: 204 });

    await expect(client.removeWorkspace('team')).resolves.toBeUndefined();
    expect(server.calls('DELETE', 'api/workspaces/team')).toHaveLength(1);
  });

  it('surfaces the server {"message"} as a ResponseError', async () => {
    server.on('DELETE', 'api/workspaces/local', {
      status: 400,
      body: { message: 'The local workspace cannot be removed.' }
    });

    const error = await client.removeWorkspace('local').catch(e => e);

    expect(error).toBeInstanceOf(ServerConnection.ResponseError);
    expect(error.message).toBe('The local workspace cannot be removed.');
    expect(error.response.status).toBe(400);
  });

  it('falls back to the status line when an error body is not JSON', async () => {
    server.on('GET', 'api/workspaces/local/runs/r1', {
      status: 502,
      raw: '<html><body>Bad Gateway</body></html>',
      contentType: 'text/html'
    });

    const error = await client.getRun('local', 'r1').catch(e => e);

    expect(error).toBeInstanceOf(ServerConnection.ResponseError);
    expect(error.message).toMatch(/^502/);
    expect(error.message).not.toContain('<html>');
  });

  it('sends path= even for the artifact root', async () => {
    server.on('GET', 'api/workspaces/local/runs/r1/artifacts', {
      body: { files: [{ path: 'model', is_dir: true, file_size: null }] }
    });

    const list = await client.listArtifacts('local', 'r1');

    expect(list.files[0].path).toBe('model');
    const params = server.requests[0].url.searchParams;
    expect(params.has('path')).toBe(true);
    expect(params.get('path')).toBe('');
  });

  it('returns artifact bytes as a Blob and builds their URL', async () => {
    server.on('GET', 'api/workspaces/local/runs/r1/artifacts/content', {
      raw: new Uint8Array([1, 2, 3]),
      contentType: 'application/octet-stream'
    });

    const blob = await client.getArtifactContent('local', 'r1', 'dir/a b.bin');
    const url = client.artifactContentUrl('local', 'r1', 'dir/a b.bin');

    expect(Array.from(new Uint8Array(await blob.arrayBuffer()))).toEqual([
      1, 2, 3
    ]);
    expect(server.requests[0].url.searchParams.get('path')).toBe('dir/a b.bin');
    expect(url).toBe(
      BASE_URL +
        'aml/api/workspaces/local/runs/r1/artifacts/content?path=dir%2Fa+b.bin'
    );
  });

  it("asks for a kernel's runs under api/kernels", async () => {
    server.on('GET', 'api/kernels/k-1/runs', {
      body: { workspace: 'local', runs: [] }
    });

    const reply = await client.kernelRuns('k-1');

    expect(reply.workspace).toBe('local');
  });
});

describe('requestAPI', () => {
  it('keeps the query string out of path normalization', async () => {
    const server = new FakeServer();
    server.on('GET', 'api/workspaces', { body: { ok: true } });

    // Unencoded on purpose: a plain path join would resolve the `..`.
    await requestAPI('api/workspaces?filter=a/../b', {}, server.settings());

    const [request] = server.requests;
    expect(request.route).toBe('api/workspaces');
    expect(request.url.searchParams.get('filter')).toBe('a/../b');
  });

  it('turns an unreachable server into a NetworkError', async () => {
    const settings = ServerConnection.makeSettings({
      baseUrl: BASE_URL,
      fetch: () => Promise.reject(new TypeError('Failed to fetch'))
    });

    await expect(
      requestAPI('api/workspaces', {}, settings)
    ).rejects.toBeInstanceOf(ServerConnection.NetworkError);
  });
});

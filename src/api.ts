import { ServerConnection } from '@jupyterlab/services';

import { amlUrl, requestAPI, requestRaw } from './request';
import {
  AddWorkspaceRequest,
  IActiveWorkspace,
  IAmlClient,
  IArtifactList,
  ICompareRequest,
  ICompareResponse,
  IExperimentPage,
  IExperimentQuery,
  IKernelRuns,
  IMetricHistory,
  IMetricHistoryQuery,
  IRun,
  IRunPage,
  IRunQuery,
  ISignIn,
  IWorkspace,
  IWorkspaceList
} from './tokens';

/**
 * The client of the `{base_url}aml/` REST API: one typed method per route.
 *
 * Widgets and models reach the server only through this class.
 */
export class AmlClient implements IAmlClient {
  /**
   * Create a client.
   */
  constructor(options: AmlClient.IOptions = {}) {
    this.serverSettings =
      options.serverSettings ?? ServerConnection.makeSettings();
  }

  /**
   * The server settings every request is made with.
   */
  readonly serverSettings: ServerConnection.ISettings;

  /**
   * List the workspaces, the active one and any configuration error.
   */
  async listWorkspaces(): Promise<IWorkspaceList> {
    return this._get('api/workspaces');
  }

  /**
   * Add a workspace; discovery and sign-in go on after it returns.
   */
  async addWorkspace(body: AddWorkspaceRequest): Promise<IWorkspace> {
    return this._send('POST', 'api/workspaces', body);
  }

  /**
   * Remove a workspace (`local` cannot be removed).
   */
  async removeWorkspace(name: string): Promise<void> {
    await this._send('DELETE', Private.path('api/workspaces', name));
  }

  /**
   * Make a workspace the one new kernels log to.
   */
  async setActiveWorkspace(name: string): Promise<IActiveWorkspace> {
    return this._send('PUT', 'api/workspaces/active', { name });
  }

  /**
   * Start a sign-in: a device code to show, or a retry of the credential.
   */
  async signIn(name: string): Promise<ISignIn> {
    return this._send('POST', Private.path('api/workspaces', name, 'sign-in'));
  }

  /**
   * List one page of a workspace's experiments.
   */
  async listExperiments(
    workspace: string,
    query: IExperimentQuery = {}
  ): Promise<IExperimentPage> {
    const path = Private.path('api/workspaces', workspace, 'experiments');
    return this._get(path + Private.query({ ...query }));
  }

  /**
   * Search one page of runs.
   */
  async searchRuns(workspace: string, query: IRunQuery): Promise<IRunPage> {
    const path = Private.path('api/workspaces', workspace, 'runs');
    const { experiment_ids, ...rest } = query;
    return this._get(
      path +
        Private.query({ experiment_ids: experiment_ids.join(','), ...rest })
    );
  }

  /**
   * Get one run.
   */
  async getRun(workspace: string, runId: string): Promise<IRun> {
    return this._get(Private.path('api/workspaces', workspace, 'runs', runId));
  }

  /**
   * Get a metric's history, downsampled to at most `max_points`.
   */
  async getMetricHistory(
    workspace: string,
    runId: string,
    key: string,
    query: IMetricHistoryQuery = {}
  ): Promise<IMetricHistory> {
    const path = Private.path(
      'api/workspaces',
      workspace,
      'runs',
      runId,
      'metrics',
      key
    );
    return this._get(path + Private.query({ ...query }));
  }

  /**
   * List the artifacts of a run under `path` (the root when empty).
   */
  async listArtifacts(
    workspace: string,
    runId: string,
    path = ''
  ): Promise<IArtifactList> {
    const route = Private.path('api/workspaces', workspace, 'runs', runId);
    // `path=` is sent even when empty: the contract names it on every call.
    const search = new URLSearchParams({ path }).toString();
    return this._get(`${route}/artifacts?${search}`);
  }

  /**
   * The URL of an artifact's bytes (for links and `<img>` sources).
   */
  artifactContentUrl(workspace: string, runId: string, path: string): string {
    return amlUrl(
      Private.contentPath(workspace, runId, path),
      this.serverSettings
    );
  }

  /**
   * Get an artifact's bytes.
   */
  async getArtifactContent(
    workspace: string,
    runId: string,
    path: string
  ): Promise<Blob> {
    const response = await requestRaw(
      Private.contentPath(workspace, runId, path),
      { method: 'GET' },
      this.serverSettings
    );
    return response.blob();
  }

  /**
   * Get runs and their metric series side by side.
   */
  async compare(
    workspace: string,
    body: ICompareRequest
  ): Promise<ICompareResponse> {
    const path = Private.path('api/workspaces', workspace, 'compare');
    return this._send('POST', path, body);
  }

  /**
   * The runs a kernel has logged, newest first.
   */
  async kernelRuns(kernelId: string): Promise<IKernelRuns> {
    return this._get(Private.path('api/kernels', kernelId, 'runs'));
  }

  private _get<T>(endPoint: string): Promise<T> {
    return requestAPI<T>(endPoint, { method: 'GET' }, this.serverSettings);
  }

  private _send<T>(
    method: string,
    endPoint: string,
    body?: unknown
  ): Promise<T> {
    const init: RequestInit = { method };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    return requestAPI<T>(endPoint, init, this.serverSettings);
  }
}

/**
 * The AmlClient statics.
 */
export namespace AmlClient {
  /**
   * The options to create a client.
   */
  export interface IOptions {
    /**
     * The server settings; by default those of the page.
     */
    serverSettings?: ServerConnection.ISettings;
  }
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Join a fixed route prefix with encoded name segments.
   */
  export function path(prefix: string, ...segments: string[]): string {
    return [prefix, ...segments.map(segment)].join('/');
  }

  /**
   * Encode one path segment so that no name can add or remove a segment.
   *
   * `.` and `..` cannot be sent as a segment at all: URL parsers resolve them,
   * encoded or not, so they would address another route.
   */
  export function segment(name: string): string {
    if (name === '' || name === '.' || name === '..') {
      throw new Error(`Invalid name in a URL path: "${name}"`);
    }
    return encodeURIComponent(name);
  }

  /**
   * A query string (with its `?`) of the defined, non-empty values.
   */
  export function query(
    values: Record<string, string | number | undefined | null>
  ): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(values)) {
      if (value !== undefined && value !== null && value !== '') {
        params.append(key, String(value));
      }
    }
    const text = params.toString();
    return text ? `?${text}` : '';
  }

  /**
   * The route of an artifact's bytes.
   */
  export function contentPath(
    workspace: string,
    runId: string,
    path: string
  ): string {
    const route = Private.path('api/workspaces', workspace, 'runs', runId);
    return `${route}/artifacts/content` + query({ path });
  }
}

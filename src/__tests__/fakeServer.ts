/**
 * An in-process stand-in for the `aml/` REST API, injected as the `fetch` of
 * real `ServerConnection` settings: everything above `fetch` runs for real.
 */

import { ServerConnection } from '@jupyterlab/services';

import { IExperiment, IWorkspace, IWorkspaceList } from '../tokens';

/**
 * A request as the fake server received it.
 */
export interface IRecordedRequest {
  method: string;
  url: URL;
  /** The path under `{base}aml/`, still percent-encoded. */
  route: string;
  headers: Headers;
  body: string;
}

/**
 * What a route handler answers.
 */
export interface IReply {
  status?: number;
  body?: unknown;
  /** Sent as is instead of JSON-encoding `body`. */
  raw?: string | Uint8Array;
  contentType?: string;
}

export type Handler = (request: IRecordedRequest) => IReply | Promise<IReply>;

/**
 * The base URL the fake server lives at; the `@` checks that it is kept encoded.
 */
export const BASE_URL = 'http://localhost:8888/a%40b/';

/**
 * Routes keyed by `METHOD route`, and a record of every request.
 */
export class FakeServer {
  /** Every request received, in order. */
  readonly requests: IRecordedRequest[] = [];

  /**
   * Answer `method route` (route under `aml/`, percent-encoded) with `handler`.
   */
  on(method: string, route: string, handler: Handler | IReply): this {
    this._routes.set(
      `${method} ${route}`,
      typeof handler === 'function' ? handler : () => handler
    );
    return this;
  }

  /**
   * The requests made to `method route`.
   */
  calls(method: string, route: string): IRecordedRequest[] {
    return this.requests.filter(r => r.method === method && r.route === route);
  }

  /**
   * Real server settings whose `fetch` is this server.
   */
  settings(): ServerConnection.ISettings {
    return ServerConnection.makeSettings({
      baseUrl: BASE_URL,
      token: 'test-token',
      fetch: (input: RequestInfo | URL, init?: RequestInit) =>
        this._fetch(input, init)
    });
  }

  private async _fetch(
    input: RequestInfo | URL,
    init?: RequestInit
  ): Promise<Response> {
    const request = new Request(input as RequestInfo, init);
    const url = new URL(request.url);
    const prefix = new URL(BASE_URL).pathname + 'aml/';
    const route = url.pathname.startsWith(prefix)
      ? url.pathname.slice(prefix.length)
      : url.pathname;
    const recorded: IRecordedRequest = {
      method: request.method,
      url,
      route,
      headers: request.headers,
      body: await request.text()
    };
    this.requests.push(recorded);
    const handler = this._routes.get(`${request.method} ${route}`);
    const reply: IReply = handler
      ? await handler(recorded)
      : {
          status: 404,
          body: { message: `No route ${request.method} ${route}` }
        };
    const status = reply.status ?? 200;
    if (status === 204) {
      return new Response(null, { status });
    }
    const payload = reply.raw ?? JSON.stringify(reply.body ?? null);
    return new Response(payload, {
      status,
      headers: { 'Content-Type': reply.contentType ?? 'application/json' }
    });
  }

  private _routes = new Map<string, Handler>();
}

/**
 * A workspace as the server reports it.
 */
export function workspace(
  name: string,
  state: IWorkspace['state'] = 'ready',
  extra: Partial<IWorkspace> = {}
): IWorkspace {
  return {
    name,
    kind: name === 'local' ? 'local' : 'mlflow',
    state,
    detail: '',
    tracking_uri: `http://127.0.0.1:5000/${name}`,
    identity: null,
    token_expires_on: null,
    ...extra
  };
}

/**
 * A workspace list reply.
 */
export function workspaceList(
  workspaces: IWorkspace[],
  active = workspaces[0]?.name ?? 'local',
  configError: string | null = null
): IWorkspaceList {
  return { active, workspaces, config_error: configError };
}

/**
 * An experiment as MLflow reports it.
 */
export function experiment(id: string, name: string): IExperiment {
  return {
    experiment_id: id,
    name,
    lifecycle_stage: 'active',
    last_update_time: 1700000000000,
    tags: {}
  };
}

/**
 * Resolve once `predicate` holds, checking after each signal emission.
 */
export function until(
  signal: {
    connect: (slot: () => void) => boolean;
    disconnect: (slot: () => void) => boolean;
  },
  predicate: () => boolean,
  timeoutMs = 3000
): Promise<void> {
  if (predicate()) {
    return Promise.resolve();
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.disconnect(check);
      reject(new Error(`Condition not met within ${timeoutMs} ms`));
    }, timeoutMs);
    function check(): void {
      if (predicate()) {
        clearTimeout(timer);
        signal.disconnect(check);
        resolve();
      }
    }
    signal.connect(check);
  });
}

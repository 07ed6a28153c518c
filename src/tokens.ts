/**
 * The wire contract of the `{base_url}aml/` REST API and the live channel.
 *
 * These types mirror `jupyterlab_aml/models.py` field for field; the names on the
 * wire stay snake_case so a response is used as is, without a mapping layer.
 */

import { Token } from '@lumino/coreutils';

import type { ICompareRequest, ICompareResponse } from './compareWire';
import type { ILiveClient } from './liveChannel';
import type { PollInterval } from './pollInterval';
import type { IKernelRuns } from './liveWire';

export * from './compareWire';
export * from './liveWire';

/**
 * A metric value outside `points`: JSON has no NaN or Infinity literals, so the
 * server sends those as strings.
 */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/**
 * One metric point: `[step, timestamp_ms, value]`; a non-finite value is `null`.
 */
export type MetricPoint = [number, number, number | null];

/**
 * The kinds of tracking backend a workspace can be.
 */
export type WorkspaceKind = 'local' | 'mlflow' | 'azureml';

/**
 * The lifecycle of a workspace as the server reports it.
 */
export type WorkspaceState = 'starting' | 'ready' | 'signed_out' | 'error';

/**
 * A tracking workspace: `Workspace` in the REST contract.
 */
export interface IWorkspace {
  name: string;
  kind: WorkspaceKind;
  state: WorkspaceState;
  /** Why the workspace is in its state (an error, a sign-in hint); may be empty. */
  detail: string;
  /** For display only: never holds a secret; may be empty while starting. */
  tracking_uri: string;
  /** Who is signed in, when the backend has identities. */
  identity: string | null;
  /** When the access token expires, in epoch seconds. */
  token_expires_on: number | null;
  /** Azure ML only: the workspace's subscription. */
  subscription_id?: string;
  /** Azure ML only: the workspace's resource group. */
  resource_group?: string;
  /** Azure ML only: the workspace's name in Azure. */
  workspace_name?: string;
  /** Azure ML only: the Azure cloud (null for a custom ARM endpoint). */
  cloud?: string | null;
  /** Azure ML only: the credential kind it signs in with. */
  credential?: AzureCredentialKind;
  /** Azure ML only: the studio's address, null when unknown (a custom cloud). */
  studio_url?: string | null;
}

/**
 * An Azure ML workspace found in an azure-ai-ml `config.json` under the server
 * root and not added yet: one click adds it.
 */
export interface IDetectedWorkspace {
  /** A free workspace name to add it under. */
  name: string;
  kind: 'azureml';
  subscription_id: string;
  resource_group: string;
  workspace_name: string;
  /** The config file's path relative to the server root. */
  source: string;
}

/**
 * The reply of `GET api/workspaces`.
 */
export interface IWorkspaceList {
  active: string;
  workspaces: IWorkspace[];
  /** Set when the workspaces file cannot be read; the list then holds only `local`. */
  config_error: string | null;
  /** Workspaces found in config files (absent from older servers). */
  detected?: IDetectedWorkspace[];
}

/**
 * The body of `POST api/workspaces` for an MLflow REST server.
 */
export interface IAddMlflowWorkspace {
  name: string;
  kind: 'mlflow';
  uri: string;
  token?: string;
  username?: string;
  password?: string;
}

/**
 * The Azure clouds an `azureml` workspace can be in.
 */
export const AZURE_CLOUDS = [
  'AzureCloud',
  'AzureChinaCloud',
  'AzureUSGovernment'
] as const;

/**
 * The credentials an `azureml` workspace can sign in with.
 */
export const AZURE_CREDENTIALS = [
  'default',
  'cli',
  'managed_identity',
  'environment',
  'device_code'
] as const;

/**
 * One of `AZURE_CREDENTIALS`.
 */
export type AzureCredentialKind = (typeof AZURE_CREDENTIALS)[number];

/**
 * The body of `POST api/workspaces` for an Azure Machine Learning workspace.
 */
export interface IAddAzureMlWorkspace {
  name: string;
  kind: 'azureml';
  subscription_id: string;
  resource_group: string;
  workspace_name: string;
  cloud?: (typeof AZURE_CLOUDS)[number];
  tenant_id?: string;
  credential?: AzureCredentialKind;
  arm_endpoint?: string;
  authority_host?: string;
  /** Overrides the token scope (`{resource_manager}/.default`). */
  token_scope?: string;
}

/**
 * The body of `POST api/workspaces`.
 */
export type AddWorkspaceRequest = IAddMlflowWorkspace | IAddAzureMlWorkspace;

/**
 * The reply of `PUT api/workspaces/active`.
 */
export interface IActiveWorkspace {
  active: string;
}

/**
 * The reply (202) of `POST api/workspaces/{name}/sign-in`.
 *
 * With a device code credential it holds the code to show; otherwise every
 * field is null and the server retries its non-interactive credential.
 */
export interface ISignIn {
  user_code: string | null;
  verification_uri: string | null;
  /** When the code expires, in epoch seconds. */
  expires_on: number | null;
  /** Azure's own instructions, when it gave any. */
  message: string | null;
}

/**
 * An MLflow experiment.
 */
export interface IExperiment {
  experiment_id: string;
  name: string;
  lifecycle_stage: string;
  last_update_time: number | null;
  tags: Record<string, string>;
}

/**
 * The reply of `GET api/workspaces/{ws}/experiments`.
 */
export interface IExperimentPage {
  experiments: IExperiment[];
  next_page_token: string | null;
}

/**
 * An MLflow run, with the last value of each metric.
 */
export interface IRun {
  run_id: string;
  run_name: string;
  experiment_id: string;
  status: string;
  start_time: number | null;
  end_time: number | null;
  artifact_uri: string;
  params: Record<string, string>;
  metrics: Record<string, WireNumber>;
  tags: Record<string, string>;
}

/**
 * The reply of `GET api/workspaces/{ws}/runs`.
 */
export interface IRunPage {
  runs: IRun[];
  next_page_token: string | null;
}

/**
 * A step and value of a metric extreme.
 */
export interface IMetricExtreme {
  step: number;
  value: WireNumber;
}

/**
 * The last point of a metric.
 */
export interface IMetricLast extends IMetricExtreme {
  timestamp: number;
}

/**
 * The reply of `GET api/workspaces/{ws}/runs/{run_id}/metrics/{key}`.
 */
export interface IMetricHistory {
  key: string;
  run_id: string;
  total_points: number;
  /** Whether `points` is a downsample that keeps the first, last, min and max points. */
  sampled: boolean;
  min: IMetricExtreme;
  max: IMetricExtreme;
  last: IMetricLast;
  /** Ordered by step, then timestamp. */
  points: MetricPoint[];
}

/**
 * A file or folder under a run's artifact root.
 */
export interface IArtifactFile {
  /** Relative to the run's artifact root. */
  path: string;
  is_dir: boolean;
  file_size: number | null;
}

/**
 * The reply of `GET api/workspaces/{ws}/runs/{run_id}/artifacts`.
 */
export interface IArtifactList {
  files: IArtifactFile[];
}

/**
 * The error body of every failed REST call.
 */
export interface IErrorBody {
  message: string;
}

/**
 * Query options of `GET api/workspaces/{ws}/experiments`.
 */
export interface IExperimentQuery {
  filter?: string;
  max_results?: number;
  page_token?: string;
}

/**
 * Query options of `GET api/workspaces/{ws}/runs`.
 */
export interface IRunQuery {
  experiment_ids: string[];
  filter?: string;
  order_by?: string;
  max_results?: number;
  page_token?: string;
}

/**
 * Query options of `GET api/workspaces/{ws}/runs/{run_id}/metrics/{key}`.
 */
export interface IMetricHistoryQuery {
  max_points?: number;
  start_step?: number;
  end_step?: number;
}

/**
 * A typed client of the `{base_url}aml/` REST API: one method per route.
 */
export interface IAmlClient {
  /** List the workspaces, the active one and any configuration error. */
  listWorkspaces(): Promise<IWorkspaceList>;
  /** Add a workspace; discovery and sign-in go on after it returns. */
  addWorkspace(body: AddWorkspaceRequest): Promise<IWorkspace>;
  /** Remove a workspace (`local` cannot be removed). */
  removeWorkspace(name: string): Promise<void>;
  /** Make a workspace the one new kernels log to. */
  setActiveWorkspace(name: string): Promise<IActiveWorkspace>;
  /** Start a sign-in: a device code to show, or a retry of the credential. */
  signIn(name: string): Promise<ISignIn>;
  /** List one page of a workspace's experiments. */
  listExperiments(
    workspace: string,
    query?: IExperimentQuery
  ): Promise<IExperimentPage>;
  /** Search one page of runs. */
  searchRuns(workspace: string, query: IRunQuery): Promise<IRunPage>;
  /** Get one run. */
  getRun(workspace: string, runId: string): Promise<IRun>;
  /** Get a metric's history, downsampled to at most `max_points`. */
  getMetricHistory(
    workspace: string,
    runId: string,
    key: string,
    query?: IMetricHistoryQuery
  ): Promise<IMetricHistory>;
  /** List the artifacts of a run under `path`. */
  listArtifacts(
    workspace: string,
    runId: string,
    path?: string
  ): Promise<IArtifactList>;
  /** The URL of an artifact's bytes (for links and `<img>` sources). */
  artifactContentUrl(workspace: string, runId: string, path: string): string;
  /** Get an artifact's bytes. */
  getArtifactContent(
    workspace: string,
    runId: string,
    path: string
  ): Promise<Blob>;
  /** Get runs and their metric series side by side. */
  compare(workspace: string, body: ICompareRequest): Promise<ICompareResponse>;
  /** The runs a kernel has logged, newest first. */
  kernelRuns(kernelId: string): Promise<IKernelRuns>;
}

/**
 * The client of the `{base_url}aml/` REST API.
 */
export const IAmlClient = new Token<IAmlClient>(
  'jupyterlab-aml:IAmlClient',
  'A typed client of the jupyterlab_aml REST API.'
);

/**
 * The page's live updates, shared by every view that follows runs as they are
 * logged (live charts, run detail, comparisons): one `api/live` socket per
 * browser tab.
 */
export interface IAmlLive {
  /** The live channel; it connects on the first subscription. */
  readonly client: ILiveClient;
  /**
   * How often a followed run is polled over REST while the channel is down:
   * the `pollInterval` setting, changes included.
   */
  readonly pollInterval: PollInterval;
}

/**
 * The page's live updates.
 */
export const IAmlLive = new Token<IAmlLive>(
  'jupyterlab-aml:IAmlLive',
  "The page's one live-updates websocket, shared by the views of runs."
);

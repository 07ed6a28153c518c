import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { ArtifactsModel } from './artifactsModel';
import { failureMessage } from './runQuery';
import { IAmlClient, IMetricExtreme, IRun } from './tokens';

/**
 * One run in detail: the run itself, each metric's global min and max (loaded
 * lazily, cached per run and key), its provenance, and its artifacts.
 */
export class RunDetailModel implements IDisposable {
  /**
   * Create a model; with `run` given it shows at once, else call `refresh()`.
   */
  constructor(options: RunDetailModel.IOptions) {
    this._client = options.client;
    this.workspace = options.workspace;
    this.runId = options.runId;
    this._run = options.run ?? null;
    this._cache = options.summaryCache ?? new MetricSummaryCache();
    this.artifacts = new ArtifactsModel({
      client: options.client,
      workspace: options.workspace,
      runId: options.runId,
      createObjectUrl: options.createObjectUrl,
      revokeObjectUrl: options.revokeObjectUrl
    });
  }

  /** The workspace of the run. */
  readonly workspace: string;

  /** The run's id. */
  readonly runId: string;

  /** The run's artifacts tree and preview. */
  readonly artifacts: ArtifactsModel;

  /** Emitted whenever the run, a metric summary, loading or the error change. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** The run, or null before it is loaded. */
  get run(): IRun | null {
    return this._run;
  }

  /** Where the run came from, read from its tags. */
  get provenance(): IRunProvenance {
    return runProvenance(this._run);
  }

  /** Whether the run is on its way. */
  get loading(): boolean {
    return this._loading;
  }

  /** The last failure to load the run, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * A metric's min and max, or undefined before they are asked for.
   */
  summary(key: string): RunDetailModel.ISummary | undefined {
    return this._summaries.get(key);
  }

  /**
   * Load the run again; a running run's metric summaries are asked for again too.
   */
  async refresh(): Promise<void> {
    const seq = ++this._seq;
    this._loading = true;
    this._stateChanged.emit();
    try {
      const run = await this._client.getRun(this.workspace, this.runId);
      if (seq !== this._seq || this._isDisposed) {
        return;
      }
      const wasRunning = this._run?.status === 'RUNNING';
      this._run = run;
      this._error = null;
      if (wasRunning || run.status === 'RUNNING') {
        this._summaries.clear();
      }
    } catch (error) {
      if (seq !== this._seq || this._isDisposed) {
        return;
      }
      this._error = `Cannot load run ${this.runId}: ${failureMessage(error)}`;
    }
    this._loading = false;
    this._stateChanged.emit();
  }

  /**
   * Load the min and max of `keys` (default: every metric of the run) that are
   * not known yet, a few requests at a time.
   */
  async loadSummaries(keys?: readonly string[]): Promise<void> {
    const wanted = (keys ?? Object.keys(this._run?.metrics ?? {})).filter(
      key => !this._summaries.has(key)
    );
    // Only an ended run's extremes are final enough to cache.
    const running = !RunDetailModel.ENDED.has(this._run?.status ?? '');
    const todo: string[] = [];
    for (const key of wanted) {
      const cached = running
        ? undefined
        : this._cache.get(this.workspace, this.runId, key);
      this._summaries.set(key, cached ?? { state: 'loading' });
      if (!cached) {
        todo.push(key);
      }
    }
    if (wanted.length === 0) {
      return;
    }
    this._stateChanged.emit();
    const worker = async () => {
      for (let key = todo.shift(); key !== undefined; key = todo.shift()) {
        await this._loadSummary(key, !running);
      }
    };
    const workers = Math.min(RunDetailModel.SUMMARY_CONCURRENCY, todo.length);
    await Promise.all(Array.from({ length: workers }, worker));
  }

  /**
   * Release the model and its artifacts; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this.artifacts.dispose();
    Signal.clearData(this);
  }

  private async _loadSummary(key: string, cache: boolean): Promise<void> {
    let summary: RunDetailModel.ISummary;
    try {
      // The route's min and max are global whatever the sampling: 4 points suffice.
      const history = await this._client.getMetricHistory(
        this.workspace,
        this.runId,
        key,
        { max_points: 4 }
      );
      summary = { state: 'loaded', min: history.min, max: history.max };
      if (cache) {
        this._cache.set(this.workspace, this.runId, key, summary);
      }
    } catch (error) {
      summary = { state: 'error', error: failureMessage(error) };
    }
    if (!this._isDisposed && this._summaries.get(key)?.state === 'loading') {
      this._summaries.set(key, summary);
      this._stateChanged.emit();
    }
  }

  private _client: IAmlClient;
  private _cache: MetricSummaryCache;
  private _run: IRun | null;
  private _summaries = new Map<string, RunDetailModel.ISummary>();
  private _loading = false;
  private _error: string | null = null;
  private _seq = 0;
  private _isDisposed = false;
  private _stateChanged = new Signal<this, void>(this);
}

/**
 * The RunDetailModel statics.
 */
export namespace RunDetailModel {
  /** The statuses of runs that log no more. */
  export const ENDED = new Set(['FINISHED', 'FAILED', 'KILLED']);

  /** How many metric summaries load at the same time. */
  export const SUMMARY_CONCURRENCY = 4;

  /**
   * A metric's global min and max.
   */
  export interface ISummary {
    state: 'loading' | 'loaded' | 'error';
    min?: IMetricExtreme;
    max?: IMetricExtreme;
    error?: string;
  }

  /**
   * The options to create a model.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** The workspace of the run. */
    workspace: string;
    /** The run's id. */
    runId: string;
    /** The run as already known (e.g. a row of the runs table). */
    run?: IRun;
    /** A cache shared between detail views (default: one of its own). */
    summaryCache?: MetricSummaryCache;
    /** Make an object URL for an image preview (default `URL.createObjectURL`). */
    createObjectUrl?: (blob: Blob) => string;
    /** Release an object URL (default `URL.revokeObjectURL`). */
    revokeObjectUrl?: (url: string) => void;
  }
}

/**
 * Finished runs' metric min/max by workspace, run and key, newest kept.
 */
export class MetricSummaryCache {
  /**
   * Create a cache holding at most `capacity` summaries.
   */
  constructor(capacity = 2000) {
    this._capacity = capacity;
  }

  /**
   * The summary of a run's metric, if cached.
   */
  get(
    workspace: string,
    runId: string,
    key: string
  ): RunDetailModel.ISummary | undefined {
    return this._items.get(JSON.stringify([workspace, runId, key]));
  }

  /**
   * Cache the summary of a run's metric, dropping the oldest beyond capacity.
   */
  set(
    workspace: string,
    runId: string,
    key: string,
    summary: RunDetailModel.ISummary
  ): void {
    const id = JSON.stringify([workspace, runId, key]);
    this._items.delete(id);
    this._items.set(id, summary);
    while (this._items.size > this._capacity) {
      this._items.delete(this._items.keys().next().value!);
    }
  }

  private _capacity: number;
  private _items = new Map<string, RunDetailModel.ISummary>();
}

/**
 * Where a run came from: its notebook, cell and kernel.
 */
export interface IRunProvenance {
  /** `mlflow.source.name`, as tagged. */
  sourceName: string | null;
  /** The source when it is a notebook path relative to the server root (openable). */
  notebookPath: string | null;
  /** The id of the cell that started the run (`jupyterlab_aml.cell_id`). */
  cellId: string | null;
  /** The execution count of that cell (`jupyterlab_aml.execution_count`). */
  executionCount: string | null;
  /** The kernel that logged the run (`jupyterlab_aml.kernel_id`). */
  kernelId: string | null;
  /** `mlflow.user`. */
  user: string | null;
}

/**
 * The provenance of a run, from its tags.
 */
export function runProvenance(run: IRun | null): IRunProvenance {
  const tags = run?.tags ?? {};
  const tag = (key: string) => tags[key] || null;
  const sourceName = tag('mlflow.source.name');
  const isNotebook =
    tag('mlflow.source.type') === 'NOTEBOOK' ||
    /\.ipynb$/i.test(sourceName ?? '');
  // Absolute or remote names (a Databricks workspace path, a URL) are not ours to open.
  const relative =
    sourceName !== null && !/^([a-z][\w+.-]*:|[/\\~])/i.test(sourceName);
  return {
    sourceName,
    notebookPath: isNotebook && relative ? sourceName : null,
    cellId: tag('jupyterlab_aml.cell_id'),
    executionCount: tag('jupyterlab_aml.execution_count'),
    kernelId: tag('jupyterlab_aml.kernel_id'),
    user: tag('mlflow.user')
  };
}

import { IDisposable } from '@lumino/disposable';
import { IPoll, Poll } from '@lumino/polling';
import { ISignal, Signal } from '@lumino/signaling';

import { checkPollInterval } from './pollInterval';
import {
  DEFAULT_SORT,
  IAvailableColumns,
  IRunSort,
  IRunsQuery,
  orderByClause
} from './runQuery';
import { RunsLoader } from './runsLoader';
import { RunSelection } from './runSelection';
import { IAmlClient, IRun, IRunPage } from './tokens';

/**
 * The runs of a workspace's selected experiments: filtered, sorted, paged on
 * demand, with a selection, and refreshed by polling the first page.
 *
 * Rows always belong to one query (`appliedFilter` and order); a new filter,
 * sort or scope replaces them only once its first page has come in (see
 * `RunsLoader`), so that a rejected filter leaves the previous rows in place.
 */
export class RunsModel implements IDisposable {
  /**
   * Create a model; it starts polling at once unless `autoStart` is false.
   */
  constructor(options: RunsModel.IOptions) {
    this._client = options.client;
    this._pageSize = options.pageSize ?? RunsModel.PAGE_SIZE;
    this._interval = checkPollInterval(
      options.pollInterval ?? RunsModel.DEFAULT_POLL_INTERVAL
    );
    this._poll = new Poll({
      auto: options.autoStart ?? true,
      factory: () => this._loader.tick(this._wanted()),
      frequency: this._frequency(),
      name: 'jupyterlab-aml:RunsModel',
      standby: options.standby ?? 'when-hidden'
    });
  }

  /** Emitted whenever rows, query state, loading or errors change. */
  get stateChanged(): ISignal<this, void> {
    return this._stateChanged;
  }

  /** The workspace whose runs are shown, or null for none. */
  get workspace(): string | null {
    return this._workspace;
  }

  /** The experiments whose runs are shown. */
  get experimentIds(): readonly string[] {
    return this._experimentIds;
  }

  /** The MLflow filter the user asked for (it may be the rejected one). */
  get filter(): string {
    return this._filter;
  }
  set filter(value: string) {
    const filter = value.trim();
    if (filter !== this._filter) {
      this._filter = filter;
      this._requery();
    } else if (this._loader.filterError !== null) {
      this._loader.retryRejected();
      this._requery();
    }
  }

  /** The filter the shown rows were loaded with. */
  get appliedFilter(): string {
    return this._loader.applied?.filter ?? '';
  }

  /** Why the server rejected the filter (its 400 message), or null. */
  get filterError(): string | null {
    return this._loader.filterError;
  }

  /** The sort the user asked for. */
  get sort(): IRunSort {
    return this._sort;
  }
  set sort(value: IRunSort) {
    if (
      value.column !== this._sort.column ||
      value.direction !== this._sort.direction
    ) {
      this._sort = { ...value };
      this._requery();
    }
  }

  /** The `order_by` clause of the sort, as the runs route takes it. */
  get orderBy(): string {
    return orderByClause(this._sort);
  }

  /** The chosen `metrics.<k>` / `params.<k>` columns (a default pick until chosen). */
  get columns(): readonly string[] {
    if (this._columns) {
      return this._columns;
    }
    // Picked once per query, so that columns do not shift as pages load.
    if (this._defaultColumnsVersion !== this.appliedVersion) {
      this._defaultColumnsVersion = this.appliedVersion;
      this._defaultColumns = [];
    }
    if (this._defaultColumns.length === 0) {
      this._defaultColumns = this.availableColumns.metrics.slice(0, 3);
    }
    return this._defaultColumns;
  }
  set columns(value: readonly string[]) {
    this._columns = [...new Set(value)];
    this._stateChanged.emit();
  }

  /** The metric and param keys seen in the loaded runs, as column ids, sorted. */
  get availableColumns(): IAvailableColumns {
    return this._loader.rows.availableColumns;
  }

  /** The loaded runs, in the server's order. */
  get runs(): readonly IRun[] {
    return this._loader.rows.runs;
  }

  /** Whether the server has more runs than were loaded. */
  get hasMore(): boolean {
    return this._loader.rows.nextPageToken !== null;
  }

  /** Whether a new query or a further page is on its way. */
  get loading(): boolean {
    return this._loader.loadingFirst || this._loader.rows.loadingMore;
  }

  /** Changes whenever the rows are replaced by another query's (not on merges). */
  get appliedVersion(): number {
    return this._loader.appliedVersion;
  }

  /** Whether the rows belong to the current workspace and experiments. */
  get loaded(): boolean {
    return this._loader.applied !== null;
  }

  /** The last failure to load runs (other than a rejected filter), or null. */
  get error(): string | null {
    return this._loader.error;
  }

  /** The polling interval in milliseconds. */
  get pollInterval(): number {
    return this._interval;
  }
  set pollInterval(value: number) {
    this._interval = checkPollInterval(value);
    this._poll.frequency = this._frequency();
  }

  /** Whether the model is disposed. */
  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * The selected runs (multi-select for compare); cleared with the scope.
   */
  readonly selection = new RunSelection({
    indexOf: runId => this.indexOf(runId),
    idAt: index => this._loader.rows.runs[index].run_id
  });

  /**
   * The position of a run in `runs`, or -1.
   */
  indexOf(runId: string): number {
    return this._loader.rows.indexOf(runId);
  }

  /**
   * Show the runs of `experimentIds` in `workspace`; clears rows and selection.
   */
  setScope(workspace: string | null, experimentIds: readonly string[]): void {
    const ids = [...new Set(experimentIds)];
    if (
      workspace === this._workspace &&
      ids.join(',') === this._experimentIds.join(',')
    ) {
      return;
    }
    this._workspace = workspace;
    this._experimentIds = ids;
    this._loader.clear();
    this.selection.set([]);
    this._requery();
  }

  /**
   * Put a pushed run (live channel) in place, or on top when it is a new run of
   * this scope and the rows are newest first without a filter.
   */
  upsertRun(run: IRun): void {
    const applied = this._loader.applied;
    const onTop =
      applied?.filter === '' &&
      applied.orderBy === orderByClause(DEFAULT_SORT) &&
      this._experimentIds.includes(run.experiment_id);
    if (this._loader.rows.upsert(run, onTop)) {
      this._stateChanged.emit();
    }
  }

  /**
   * Start polling (when created with `autoStart: false`).
   */
  async start(): Promise<void> {
    if (!this._isDisposed) {
      await this._poll.start();
    }
  }

  /**
   * Refresh now; resolves once the refresh has finished (successfully or not).
   */
  async refresh(): Promise<void> {
    if (this._isDisposed) {
      return;
    }
    await this._poll.refresh();
    await this._poll.tick;
  }

  /**
   * Load the next page, if any; concurrent calls share one request.
   */
  loadMore(): Promise<void> {
    return this._isDisposed ? Promise.resolve() : this._loader.loadMore();
  }

  /**
   * Stop polling and release the model; safe to call more than once.
   */
  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._loader.cancel();
    this._poll.dispose();
    Signal.clearData(this.selection);
    Signal.clearData(this);
  }

  /**
   * The query the rows should have, or null when there is nothing to show.
   */
  private _wanted(): IRunsQuery | null {
    if (!this._workspace || this._experimentIds.length === 0) {
      return null;
    }
    return {
      workspace: this._workspace,
      experimentIds: this._experimentIds,
      filter: this._filter,
      orderBy: this.orderBy
    };
  }

  /**
   * Load the wanted query now (it replaces the rows once its first page is in).
   */
  private _requery(): void {
    if (!this._isDisposed) {
      this._loader.request(this._wanted());
    }
    this._stateChanged.emit();
  }

  private _fetchPage(
    query: IRunsQuery,
    pageToken: string | null
  ): Promise<IRunPage> {
    return this._client.searchRuns(query.workspace, {
      experiment_ids: [...query.experimentIds],
      filter: query.filter || undefined,
      order_by: query.orderBy || undefined,
      max_results: this._pageSize,
      page_token: pageToken ?? undefined
    });
  }

  private _frequency(): IPoll.Frequency {
    return {
      interval: this._interval,
      backoff: true,
      max: Math.max(this._interval, RunsModel.MAX_BACKOFF_INTERVAL)
    };
  }

  private _client: IAmlClient;
  private _poll: Poll;
  private _pageSize: number;
  private _interval: number;
  private _workspace: string | null = null;
  private _experimentIds: string[] = [];
  private _filter = '';
  private _sort: IRunSort = { ...DEFAULT_SORT };
  private _columns: string[] | null = null;
  private _defaultColumns: string[] = [];
  private _defaultColumnsVersion = -1;
  private _loader = new RunsLoader({
    fetchPage: (query, token) => this._fetchPage(query, token),
    changed: () => {
      if (!this._isDisposed) {
        this._stateChanged.emit();
      }
    }
  });
  private _isDisposed = false;
  private _stateChanged = new Signal<this, void>(this);
}

/**
 * The RunsModel statics.
 */
export namespace RunsModel {
  /** How many runs one page holds. */
  export const PAGE_SIZE = 100;

  /** The default polling interval in milliseconds. */
  export const DEFAULT_POLL_INTERVAL = 10 * 1000;

  /** The longest wait in milliseconds that backoff grows to after failures. */
  export const MAX_BACKOFF_INTERVAL = 5 * 60 * 1000;

  /**
   * The options to create a model.
   */
  export interface IOptions {
    /** The REST client. */
    client: IAmlClient;
    /** How many runs one request loads (default 100). */
    pageSize?: number;
    /** The polling interval in milliseconds. */
    pollInterval?: number;
    /** Whether to start polling at once (default true). */
    autoStart?: boolean;
    /** When the poll stands by (default 'when-hidden'). */
    standby?: Poll.Standby | (() => boolean | Poll.Standby);
  }
}

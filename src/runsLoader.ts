import { failureMessage, IRunsQuery, isBadRequest } from './runQuery';
import { RunRows } from './runRows';
import { IRunPage } from './tokens';

/**
 * The rows of one runs query at a time, and the loading of its pages.
 *
 * A new query replaces the rows only once its first page has come in, so that
 * a rejected filter (HTTP 400) leaves the previous rows in place; a rejected
 * query is not asked for again until the input changes. A poll tick merges the
 * current query's first page into the rows.
 */
export class RunsLoader {
  /**
   * Create a loader with no rows.
   */
  constructor(options: RunsLoader.IOptions) {
    this._fetchPage = options.fetchPage;
    this._changed = options.changed;
  }

  /** The loaded runs, their positions and the next page token. */
  readonly rows = new RunRows();

  /** The query the rows belong to, or null. */
  get applied(): IRunsQuery | null {
    return this._applied;
  }

  /** Changes whenever the rows are replaced by another query's (not on merges). */
  get appliedVersion(): number {
    return this._appliedVersion;
  }

  /** Whether a new query's first page is on its way. */
  get loadingFirst(): boolean {
    return this._loadingFirst;
  }

  /** The last failure to load (other than a rejected filter), or null. */
  get error(): string | null {
    return this._error;
  }

  /** Why the server rejected the filter (its 400 message), or null. */
  get filterError(): string | null {
    return this._filterError;
  }

  /**
   * Drop the rows and whatever is on its way (the scope changed).
   */
  clear(): void {
    this._seq++;
    this._loadingFirst = false;
    this._appliedVersion++;
    this._applied = null;
    this._appliedKey = null;
    this._rejectedKey = null;
    this._filterError = null;
    this._error = null;
    this.rows.reset();
  }

  /**
   * Ask for a rejected query again (the user applied the same filter again).
   */
  retryRejected(): void {
    this._rejectedKey = null;
  }

  /**
   * Load `wanted` now unless the rows already belong to it; it replaces the
   * rows once its first page is in. Whatever was on its way is dropped.
   *
   * This does not go through a poll: `Poll.refresh()` is a no-op while a tick
   * is in flight, and that tick was asked for with the old input.
   */
  request(wanted: IRunsQuery | null): void {
    this._seq++;
    this._loadingFirst = false;
    const key = wanted ? JSON.stringify(wanted) : null;
    if (key !== null && key === this._appliedKey) {
      // Back to the query of the rows (e.g. a rejected filter undone).
      this._rejectedKey = null;
      this._filterError = null;
    }
    if (wanted && key !== this._appliedKey) {
      // A failure is in `error`; the next poll tick tries again.
      this._loadFirst(wanted, key!, 'replace').catch(() => undefined);
    }
  }

  /**
   * One poll tick: load a new query's first page, or merge the current one's.
   */
  async tick(wanted: IRunsQuery | null): Promise<void> {
    if (!wanted || this._loadingFirst) {
      return; // nothing to show, or a new query's first page is on its way
    }
    const key = JSON.stringify(wanted);
    if (key !== this._appliedKey && key !== this._rejectedKey) {
      return this._loadFirst(wanted, key, 'replace');
    }
    if (this._applied) {
      return this._loadFirst(this._applied, this._appliedKey!, 'merge');
    }
  }

  /**
   * Load the next page, if any; concurrent calls share one request.
   */
  loadMore(): Promise<void> {
    const query = this._applied;
    if (!query || this._loadingFirst || this.rows.nextPageToken === null) {
      return Promise.resolve();
    }
    const started = !this.rows.loadingMore;
    const more = this.rows
      .loadMore(token => this._fetchPage(query, token))
      .then(
        added => {
          if (added) {
            this._error = null;
          }
        },
        error => {
          this._error = RunsLoader.failure(query, error);
        }
      )
      .then(() => this._changed());
    if (started) {
      this._changed(); // `loading` is now true
    }
    return more;
  }

  /**
   * Ignore every reply still on its way (the holder is disposed).
   */
  cancel(): void {
    this._seq++;
  }

  private async _loadFirst(
    query: IRunsQuery,
    key: string,
    mode: 'replace' | 'merge'
  ): Promise<void> {
    const seq = ++this._seq;
    if (mode === 'replace' && !this._loadingFirst) {
      this._loadingFirst = true;
      this._changed();
    }
    let page: IRunPage;
    try {
      page = await this._fetchPage(query, null);
    } catch (error) {
      if (seq !== this._seq) {
        return;
      }
      this._loadingFirst = false;
      if (mode === 'replace' && isBadRequest(error)) {
        // The input is wrong: say so, keep the rows, and do not ask again.
        if (query.filter) {
          this._filterError = (error as Error).message;
        } else {
          this._error = RunsLoader.failure(query, error);
        }
        this._rejectedKey = key;
        this._changed();
        return;
      }
      this._error = RunsLoader.failure(query, error);
      this._changed();
      throw error;
    }
    if (seq !== this._seq) {
      return;
    }
    this._loadingFirst = false;
    this._error = null;
    if (mode === 'replace') {
      this._applied = query;
      this._appliedKey = key;
      this._appliedVersion++;
      this._rejectedKey = null;
      this._filterError = null;
      this.rows.reset(page);
    } else {
      this.rows.mergeFirst(page);
    }
    this._changed();
  }

  private _fetchPage: RunsLoader.FetchPage;
  private _changed: () => void;
  private _applied: IRunsQuery | null = null;
  private _appliedKey: string | null = null;
  private _appliedVersion = 0;
  private _rejectedKey: string | null = null;
  private _seq = 0;
  private _loadingFirst = false;
  private _error: string | null = null;
  private _filterError: string | null = null;
}

/**
 * The RunsLoader statics.
 */
export namespace RunsLoader {
  /**
   * Fetch one page of a query (the first when `pageToken` is null).
   */
  export type FetchPage = (
    query: IRunsQuery,
    pageToken: string | null
  ) => Promise<IRunPage>;

  /**
   * The options to create a loader.
   */
  export interface IOptions {
    /** How a page is fetched. */
    fetchPage: FetchPage;
    /** Called whenever rows, loading or errors change. */
    changed: () => void;
  }

  /**
   * The message of a failure to load a query's runs.
   */
  export function failure(query: IRunsQuery, error: unknown): string {
    return `Cannot load runs of "${query.workspace}": ${failureMessage(error)}`;
  }
}

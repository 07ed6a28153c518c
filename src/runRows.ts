import { availableColumns, IAvailableColumns, mergeRuns } from './runQuery';
import { IRun, IRunPage } from './tokens';

/**
 * The loaded rows of one runs query: pages merged without duplicates, indexed
 * by run id, and the loading of the page that follows.
 */
export class RunRows {
  /** The runs, in the server's order. */
  get runs(): readonly IRun[] {
    return this._runs;
  }

  /** The token of the next page, or null when every page is loaded. */
  get nextPageToken(): string | null {
    return this._nextToken;
  }

  /** The metric and param keys the runs have, as column ids. */
  get availableColumns(): IAvailableColumns {
    this._available ??= availableColumns(this._runs);
    return this._available;
  }

  /**
   * The position of a run, or -1.
   */
  indexOf(runId: string): number {
    return this._index.get(runId) ?? -1;
  }

  /** Whether the page after the loaded ones is on its way. */
  get loadingMore(): boolean {
    return this._more !== null;
  }

  /**
   * Hold only `page`, the first page of another query (none: empty); a further
   * page still on its way for the previous query is dropped when it comes.
   */
  reset(page: IRunPage | null = null): void {
    this._generation++;
    this._more = null;
    this._retryAt = 0;
    this._setFirst(page);
  }

  /**
   * Take in a fresh first page of the same query.
   *
   * With one page loaded, it replaces the rows. With more, it goes on top of
   * them and the deeper pages stay (scroll position and all); their offsets may
   * now repeat a few rows, which `append` drops when they come.
   */
  mergeFirst(page: IRunPage): void {
    if (this._pages <= 1) {
      this._setFirst(page);
    } else {
      this._set(mergeRuns(page.runs, this._runs), this._nextToken);
    }
  }

  /**
   * Load the page after the loaded ones with `fetch`, if there is one.
   *
   * Concurrent calls share one request. Resolves to whether rows were added;
   * rejects with the failure, after which calls wait `RETRY_DELAY` (scrolling
   * asks again at once, and a failing server must not be asked in a loop).
   */
  loadMore(fetch: (pageToken: string) => Promise<IRunPage>): Promise<boolean> {
    const token = this._nextToken;
    if (this._more) {
      return this._more;
    }
    if (token === null || Date.now() < this._retryAt) {
      return Promise.resolve(false);
    }
    const generation = this._generation;
    const stale = () => generation !== this._generation;
    const more = fetch(token).then(
      page => {
        if (stale()) {
          return false;
        }
        this._more = null;
        this._pages++;
        this._set(mergeRuns(this._runs, page.runs), page.next_page_token);
        return true;
      },
      error => {
        if (stale()) {
          return false;
        }
        this._more = null;
        this._retryAt = Date.now() + RunRows.RETRY_DELAY;
        throw error;
      }
    );
    this._more = more;
    return more;
  }

  /**
   * Replace a loaded run in place, or put a new one on top when `onTop`;
   * whether the rows changed.
   */
  upsert(run: IRun, onTop: boolean): boolean {
    const index = this.indexOf(run.run_id);
    if (index >= 0) {
      const runs = this._runs.slice();
      runs[index] = run;
      this._set(runs, this._nextToken);
      return true;
    }
    if (onTop) {
      this._set([run, ...this._runs], this._nextToken);
    }
    return onTop;
  }

  private _setFirst(page: IRunPage | null): void {
    this._pages = page ? 1 : 0;
    this._set(mergeRuns([], page?.runs ?? []), page?.next_page_token ?? null);
  }

  private _set(runs: IRun[], nextToken: string | null): void {
    this._runs = runs;
    this._nextToken = nextToken;
    this._available = null;
    this._index = new Map(runs.map((run, i) => [run.run_id, i]));
  }

  private _runs: IRun[] = [];
  private _index = new Map<string, number>();
  private _nextToken: string | null = null;
  private _pages = 0;
  private _available: IAvailableColumns | null = null;
  private _generation = 0;
  private _more: Promise<boolean> | null = null;
  private _retryAt = 0;
}

/**
 * The RunRows statics.
 */
export namespace RunRows {
  /** How long a failed further page waits before it may be asked for again. */
  export const RETRY_DELAY = 2000;
}

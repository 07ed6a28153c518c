import { ISignal, Signal } from '@lumino/signaling';

/**
 * A set of selected run ids with a range anchor, combined the way clicks are:
 * plain, ctrl/cmd (toggle), shift (range from the anchor), ctrl+shift (add a range).
 */
export class RunSelection {
  /**
   * Create an empty selection over the rows that `options` gives positions of.
   */
  constructor(options: RunSelection.IOptions) {
    this._indexOf = options.indexOf;
    this._idAt = options.idAt;
  }

  /** Emitted with the new ids whenever the selection changes. */
  get changed(): ISignal<this, ReadonlySet<string>> {
    return this._changed;
  }

  /** The selected run ids. */
  get ids(): ReadonlySet<string> {
    return this._ids;
  }

  /** The run a range starts from, or null. */
  get anchor(): string | null {
    return this._anchor;
  }

  /**
   * Combine `runId` with the selection as a click with `mode` does.
   */
  select(runId: string, mode: RunSelection.Mode = 'replace'): void {
    const ids = new Set(this._ids);
    const anchorIndex =
      this._anchor === null ? -1 : this._indexOf(this._anchor);
    const index = this._indexOf(runId);
    const range = mode === 'range' || mode === 'add-range';
    if (range && anchorIndex >= 0 && index >= 0) {
      if (mode === 'range') {
        ids.clear();
      }
      const to = Math.max(anchorIndex, index);
      for (let i = Math.min(anchorIndex, index); i <= to; i++) {
        ids.add(this._idAt(i));
      }
      this._set(ids, this._anchor);
      return;
    }
    // A range without an anchor starts one, like a plain or ctrl click.
    if (mode === 'toggle' || mode === 'add-range') {
      if (!ids.delete(runId)) {
        ids.add(runId);
      }
    } else {
      ids.clear();
      ids.add(runId);
    }
    this._set(ids, runId);
  }

  /**
   * Select exactly `runIds`; the anchor stays if it is among them.
   */
  set(runIds: Iterable<string>): void {
    const ids = new Set(runIds);
    const anchor =
      this._anchor !== null && ids.has(this._anchor)
        ? this._anchor
        : (ids.values().next().value ?? null);
    this._set(ids, anchor);
  }

  private _set(ids: Set<string>, anchor: string | null): void {
    this._anchor = anchor;
    const same =
      ids.size === this._ids.size && [...ids].every(id => this._ids.has(id));
    if (!same) {
      this._ids = ids;
      this._changed.emit(ids);
    }
  }

  private _indexOf: (runId: string) => number;
  private _idAt: (index: number) => string;
  private _ids: ReadonlySet<string> = new Set<string>();
  private _anchor: string | null = null;
  private _changed = new Signal<this, ReadonlySet<string>>(this);
}

/**
 * The RunSelection statics.
 */
export namespace RunSelection {
  /**
   * How a click combines with the selection: `replace` (plain), `toggle`
   * (ctrl/cmd), `range` (shift), `add-range` (ctrl+shift).
   */
  export type Mode = 'replace' | 'toggle' | 'range' | 'add-range';

  /**
   * The options to create a selection.
   */
  export interface IOptions {
    /** The position of a run in the rows, or -1. */
    indexOf: (runId: string) => number;
    /** The id of the run at a position. */
    idAt: (index: number) => string;
  }
}

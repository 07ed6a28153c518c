import { ISignal, Signal } from '@lumino/signaling';

/**
 * A polling interval in milliseconds, validated (shared by the models that poll).
 */
export function checkPollInterval(value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`Invalid polling interval: ${value}`);
  }
  return Math.round(value);
}

/**
 * A polling interval that may change while pollers run: the `pollInterval`
 * setting, which every REST fallback of a run followed live reads, so that a
 * change of the setting reaches the runs already open.
 */
export class PollInterval {
  /**
   * Create an interval of `milliseconds`.
   */
  constructor(milliseconds: number) {
    this._value = checkPollInterval(milliseconds);
  }

  /** Emitted with the new interval when it changes. */
  get changed(): ISignal<this, number> {
    return this._changed;
  }

  /** The interval in milliseconds. */
  get value(): number {
    return this._value;
  }
  set value(milliseconds: number) {
    const value = checkPollInterval(milliseconds);
    if (value !== this._value) {
      this._value = value;
      this._changed.emit(value);
    }
  }

  private _value: number;
  private _changed = new Signal<this, number>(this);
}

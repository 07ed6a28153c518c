/**
 * Which way is better for a metric, guessed from its name: `val_loss` is
 * better low, `train/accuracy` high. Pure functions.
 */

/**
 * Whether lower (`min`) or higher (`max`) values of a metric are better.
 */
export type Direction = 'min' | 'max';

/**
 * A guessed direction, and whether the name said it.
 */
export interface IDirectionGuess {
  direction: Direction;
  /** False when no word of the name is known: the direction is a default. */
  known: boolean;
}

/**
 * Words naming a cost: lower is better.
 */
const LOWER_IS_BETTER = new Set([
  'loss',
  'error',
  'err',
  'mse',
  'mae',
  'rmse',
  'perplexity',
  'ppl',
  'time',
  'latency',
  'wer',
  'cer'
]);

/**
 * Words naming a score: higher is better.
 */
const HIGHER_IS_BETTER = new Set([
  'acc',
  'accuracy',
  'f1',
  'precision',
  'recall',
  'auc',
  'r2',
  'score',
  'iou',
  'map',
  'bleu',
  'rouge'
]);

/**
 * The words of a metric name: split at anything not a letter or digit and at
 * camelCase humps, lower-cased (`valLoss/top1-acc` gives val, loss, top1, acc).
 */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map(word => word.toLowerCase());
}

/**
 * Guess whether lower or higher is better from a metric's name.
 *
 * The last known word decides, since names usually end with what they
 * measure (`accuracy_loss` is a loss). Each part between separators counts
 * whole (`mAP`) and by its camelCase words (`valLoss`). A name with no known
 * word is guessed `min`, and says so with `known: false`.
 */
export function guessDirection(name: string): IDirectionGuess {
  const parts = name.split(/[^A-Za-z0-9]+/).filter(Boolean);
  for (let i = parts.length - 1; i >= 0; i--) {
    const words = [parts[i].toLowerCase(), ...nameWords(parts[i]).reverse()];
    for (const word of words) {
      // `top1`, `f1_2`: also try the word without its trailing digits.
      for (const candidate of [word, word.replace(/\d+$/, '')]) {
        if (LOWER_IS_BETTER.has(candidate)) {
          return { direction: 'min', known: true };
        }
        if (HIGHER_IS_BETTER.has(candidate)) {
          return { direction: 'max', known: true };
        }
      }
    }
  }
  return { direction: 'min', known: false };
}

/**
 * The arrow shown for a direction.
 */
export function directionArrow(direction: Direction): string {
  return direction === 'min' ? '↓' : '↑';
}

import { RunSelection } from '../runSelection';

/**
 * What a key does in the runs grid.
 *
 * | key                          | command                                   |
 * |------------------------------|-------------------------------------------|
 * | ArrowUp / ArrowDown          | move the focus row                        |
 * | PageUp / PageDown            | move the focus row by a screen            |
 * | Home / End                   | first / last loaded row (End loads more)  |
 * | Shift + any move             | select the range from the anchor          |
 * | Ctrl/Cmd + Shift + any move  | add that range to the selection           |
 * | Space                        | toggle the focus row's selection          |
 * | Shift + Space                | select the range from the anchor          |
 * | Enter                        | select the focus row only, and open it    |
 * | Ctrl/Cmd + A                 | select every loaded row                   |
 * | Escape                       | clear the selection                       |
 */
export type GridKeyCommand =
  | { kind: 'move'; to: GridMove; extend: RunSelection.Mode | null }
  | { kind: 'select'; mode: RunSelection.Mode }
  | { kind: 'open' }
  | { kind: 'select-all' }
  | { kind: 'clear' };

/**
 * Where a move goes.
 */
export type GridMove =
  'next' | 'previous' | 'page-down' | 'page-up' | 'first' | 'last';

/**
 * The command of a key press in the grid, or null when the key is not the grid's.
 */
export function gridKeyCommand(event: KeyboardEvent): GridKeyCommand | null {
  const toggle = event.ctrlKey || event.metaKey;
  const move = MOVES[event.key];
  if (move) {
    const extend = event.shiftKey ? (toggle ? 'add-range' : 'range') : null;
    return { kind: 'move', to: move, extend };
  }
  switch (event.key) {
    case ' ':
      return { kind: 'select', mode: event.shiftKey ? 'range' : 'toggle' };
    case 'Enter':
      return { kind: 'open' };
    case 'Escape':
      return { kind: 'clear' };
    case 'a':
    case 'A':
      return toggle ? { kind: 'select-all' } : null;
    default:
      return null;
  }
}

/**
 * How a click combines with the selection: plain, ctrl/cmd, shift, ctrl+shift.
 */
export function clickMode(event: MouseEvent): RunSelection.Mode {
  const toggle = event.ctrlKey || event.metaKey;
  if (event.shiftKey) {
    return toggle ? 'add-range' : 'range';
  }
  return toggle ? 'toggle' : 'replace';
}

/**
 * The row a move lands on, from `focus` among `count` rows, `page` rows a screen.
 */
export function moveTarget(
  to: GridMove,
  focus: number,
  count: number,
  page: number
): number {
  const target = {
    next: focus + 1,
    previous: focus - 1,
    'page-down': focus + page,
    'page-up': focus - page,
    first: 0,
    last: count - 1
  }[to];
  return Math.max(0, Math.min(count - 1, target));
}

/**
 * The keys that move the focus row.
 */
const MOVES: Record<string, GridMove> = {
  ArrowDown: 'next',
  ArrowUp: 'previous',
  PageDown: 'page-down',
  PageUp: 'page-up',
  Home: 'first',
  End: 'last'
};

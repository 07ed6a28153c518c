import type uPlot from 'uplot';

import {
  ChartKeyboard,
  chartKeyCommand,
  cursorTarget,
  rangeShowing,
  zoomedRange
} from '../chart/chartKeys';
import * as uplotKit from '../chart/uplotKit';

const key = (k: string, init: Partial<KeyboardEvent> = {}) =>
  chartKeyCommand({
    key: k,
    altKey: false,
    ctrlKey: false,
    metaKey: false,
    ...init
  });

describe('chartKeyCommand', () => {
  it('moves with the arrows, Home and End; zooms with + = -; resets with 0 and Escape', () => {
    expect(key('ArrowLeft')).toEqual({ kind: 'move', to: 'previous' });
    expect(key('ArrowRight')).toEqual({ kind: 'move', to: 'next' });
    expect(key('Home')).toEqual({ kind: 'move', to: 'first' });
    expect(key('End')).toEqual({ kind: 'move', to: 'last' });
    expect(key('+')).toEqual({ kind: 'zoom', factor: 0.5 });
    expect(key('=')).toEqual({ kind: 'zoom', factor: 0.5 });
    expect(key('-')).toEqual({ kind: 'zoom', factor: 2 });
    expect(key('0')).toEqual({ kind: 'reset' });
    expect(key('Escape')).toEqual({ kind: 'reset' });
  });

  it('leaves other keys and modified ones to the browser and JupyterLab', () => {
    expect(key('a')).toBeNull();
    expect(key('ArrowUp')).toBeNull();
    expect(key('+', { ctrlKey: true })).toBeNull(); // the browser's zoom
    expect(key('0', { metaKey: true })).toBeNull();
    expect(key('ArrowRight', { altKey: true })).toBeNull();
  });
});

describe('cursorTarget', () => {
  it('starts at the first point going right and the last going left', () => {
    expect(cursorTarget('next', null, 5)).toBe(0);
    expect(cursorTarget('previous', null, 5)).toBe(4);
  });

  it('steps one point and stops at the ends', () => {
    expect(cursorTarget('next', 2, 5)).toBe(3);
    expect(cursorTarget('previous', 2, 5)).toBe(1);
    expect(cursorTarget('next', 4, 5)).toBe(4);
    expect(cursorTarget('previous', 0, 5)).toBe(0);
    expect(cursorTarget('first', 3, 5)).toBe(0);
    expect(cursorTarget('last', null, 5)).toBe(4);
    expect(cursorTarget('next', null, 0)).toBeNull();
  });
});

describe('zoomedRange', () => {
  it('zooms around the center, which keeps its place on screen', () => {
    // 30 is 3/10 into [0, 100]: it stays 3/10 into the narrower range.
    expect(zoomedRange([0, 100], [0, 100], 30, 0.5, 1)).toEqual([15, 65]);
    expect(zoomedRange([15, 65], [0, 100], 30, 2, 1)).toEqual([0, 100]);
  });

  it('stays within the whole range and no narrower than the least width', () => {
    expect(zoomedRange([80, 100], [0, 100], 95, 2, 1)).toEqual([60, 100]);
    expect(zoomedRange([0, 100], [0, 100], 50, 4, 1)).toEqual([0, 100]);
    expect(zoomedRange([40, 44], [0, 100], 42, 0.5, 3)).toEqual([40.5, 43.5]);
    // A center outside the view zooms around the nearest edge.
    expect(zoomedRange([10, 20], [0, 100], 50, 0.5, 1)).toEqual([15, 20]);
  });

  it('gives the whole range when there is no width to zoom', () => {
    expect(zoomedRange([5, 5], [5, 5], 5, 0.5, 1)).toEqual([5, 5]);
    expect(zoomedRange([3, 3], [0, 10], 3, 0.5, 1)).toEqual([0, 10]);
  });
});

describe('rangeShowing', () => {
  it('pans as little as it takes to show x, within the whole range', () => {
    expect(rangeShowing([10, 20], [0, 100], 15)).toEqual([10, 20]);
    expect(rangeShowing([10, 20], [0, 100], 25)).toEqual([15, 25]);
    expect(rangeShowing([10, 20], [0, 100], 4)).toEqual([4, 14]);
    expect(rangeShowing([10, 20], [0, 100], 100)).toEqual([90, 100]);
  });
});

/**
 * The parts of uPlot the keyboard uses: x from 0 to 9, 10 px a step.
 */
function fakePlot(syncKey?: string) {
  const x = Array.from({ length: 10 }, (_, i) => i);
  const plot = {
    data: [x, x.map(i => 10 - i)],
    scales: { x: { min: 0, max: 9 } },
    cursor: { idx: null as number | null, left: -10, sync: { key: syncKey } },
    series: [{}, { show: true, scale: 'y' }],
    over: { clientHeight: 100 },
    plugins: [] as uPlot.Plugin[],
    valToPos: (value: number, scale: string) =>
      scale === 'x' ? (value - plot.scales.x.min) * 10 : 100 - value,
    setCursor: jest.fn(
      (
        opts: { left: number; top: number },
        _fire?: boolean,
        _pub?: boolean
      ) => {
        plot.cursor.left = opts.left;
        plot.cursor.idx =
          opts.left < 0 ? null : Math.round(opts.left / 10 + plot.scales.x.min);
      }
    ),
    setScale: jest.fn((key: string, range: { min: number; max: number }) => {
      plot.scales.x = range;
      for (const plugin of plot.plugins) {
        (plugin.hooks.setScale as any)?.(plot, key);
      }
    })
  };
  return plot;
}

describe('ChartKeyboard', () => {
  let host: HTMLElement;
  let plot: ReturnType<typeof fakePlot>;
  let keyboard: ChartKeyboard;

  const create = (syncKey?: string) => {
    host = document.createElement('div');
    document.body.append(host);
    plot = fakePlot(syncKey);
    keyboard = new ChartKeyboard({
      host,
      plotter: () => plot as unknown as uPlot
    });
    plot.plugins.push(keyboard.plugin);
  };
  const press = (k: string, init: KeyboardEventInit = {}) => {
    const event = new KeyboardEvent('keydown', {
      key: k,
      bubbles: true,
      cancelable: true,
      ...init
    });
    host.dispatchEvent(event);
    return event;
  };
  const range = () => [host.dataset.xMin, host.dataset.xMax].map(Number);

  afterEach(() => {
    keyboard.dispose();
    keyboard.dispose();
    host.remove();
    jest.restoreAllMocks();
  });

  it('makes the plot focusable and names it', () => {
    create();
    keyboard.label = 'loss, last value 0.25 at step 49';
    expect(host.tabIndex).toBe(0);
    expect(host.getAttribute('aria-roledescription')).toBe('chart');
    expect(host.getAttribute('aria-label')).toBe(
      'loss, last value 0.25 at step 49'
    );
    expect(host.getAttribute('aria-keyshortcuts')).toContain('ArrowRight');
  });

  it('moves the cursor point by point, telling the synced charts', () => {
    create();
    expect(press('ArrowRight').defaultPrevented).toBe(true);
    expect(plot.cursor.idx).toBe(0);
    press('ArrowRight');
    expect(plot.cursor.idx).toBe(1);
    press('End');
    expect(plot.cursor.idx).toBe(9);
    press('ArrowLeft');
    expect(plot.cursor.idx).toBe(8);
    press('Home');
    expect(plot.cursor.idx).toBe(0);
    // At the point's value on y, published to the sync group.
    expect(plot.setCursor).toHaveBeenLastCalledWith(
      { left: 0, top: 90 },
      true,
      true
    );
    expect(press('a').defaultPrevented).toBe(false);
    expect(press('ArrowRight', { ctrlKey: true }).defaultPrevented).toBe(false);
    expect(plot.cursor.idx).toBe(0);

    host.dispatchEvent(new FocusEvent('blur'));
    expect(plot.cursor.idx).toBeNull();
  });

  it('zooms around the cursor and resets, the range on data attributes', () => {
    create();
    press('End');
    press('ArrowLeft'); // x = 8

    press('+'); // 8 stays 8/9 into the view
    expect(range()).toEqual([4, 8.5]);
    expect(plot.cursor.idx).toBe(8); // the cursor stays on its point
    press('+');
    expect(range()).toEqual([6, 8.25]);
    press('-');
    expect(range()).toEqual([4, 8.5]);

    // Moving past the view pans it.
    press('Home');
    expect(range()).toEqual([0, 4.5]);
    expect(plot.cursor.idx).toBe(0);

    press('0');
    expect(range()).toEqual([0, 9]);
    press('+');
    press('Escape');
    expect(range()).toEqual([0, 9]);
  });

  it('zooms every chart of its sync group', () => {
    create('group-1');
    const other = fakePlot('group-1');
    jest.spyOn(uplotKit, 'uPlotClass').mockReturnValue({
      sync: () => ({ plots: [plot, other] })
    } as unknown as typeof uPlot);

    press('ArrowRight'); // a move within the view changes no chart's range
    expect(other.setScale).not.toHaveBeenCalled();
    plot.setCursor({ left: -10, top: -10 }); // the mouse takes the cursor away

    press('+'); // no point under the cursor: around the middle

    expect(plot.scales.x).toEqual({ min: 2.25, max: 6.75 });
    expect(other.scales.x).toEqual({ min: 2.25, max: 6.75 });
    press('0');
    expect(other.scales.x).toEqual({ min: 0, max: 9 });
  });

  it('ignores keys while the chart has no uPlot', () => {
    host = document.createElement('div');
    keyboard = new ChartKeyboard({ host, plotter: () => null });
    expect(press('ArrowRight').defaultPrevented).toBe(false);
  });
});

import { nearestIndex, overlay } from '../compare/overlayData';
import { contrastRatio, freeColorSlot, runColor } from '../compare/runColors';
import { parseRunRefs, runKey } from '../compare/runRef';
import { MetricPoint } from '../tokens';

const options = { xMode: 'step' as const, logY: false, smoothing: 0 };

describe('overlay', () => {
  it('aligns runs on the union of their steps, with gaps where a run has none', () => {
    const a: MetricPoint[] = [
      [0, 100, 1],
      [2, 300, 3]
    ];
    const b: MetricPoint[] = [
      [1, 50, 10],
      [2, 60, 20],
      [5, 90, null]
    ];
    const data = overlay(
      [
        { id: 'a', points: a },
        { id: 'b', points: b }
      ],
      options
    );
    expect([...data.x]).toEqual([0, 1, 2, 5]);
    expect(data.y).toEqual([
      [1, null, 3, null],
      [null, 10, 20, null]
    ]);
    // The NaN of b is a gap, not a point: two points with a value.
    expect(data.counts).toEqual([2, 2]);
    expect(data.smoothed).toEqual([null, null]);
  });

  it('keeps the later point where a run logged a step twice', () => {
    const data = overlay(
      [
        {
          id: 'a',
          points: [
            [1, 10, 5],
            [1, 20, 6]
          ]
        }
      ],
      options
    );
    expect([...data.x]).toEqual([1]);
    expect(data.y).toEqual([[6]]);
  });

  it('counts relative time from each run’s own first point', () => {
    const data = overlay(
      [
        {
          id: 'a',
          points: [
            [0, 10_000, 1],
            [1, 12_000, 2]
          ]
        },
        {
          id: 'b',
          points: [
            [0, 50_000, 3],
            [1, 51_000, 4]
          ]
        }
      ],
      { ...options, xMode: 'relative' }
    );
    expect([...data.x]).toEqual([0, 1, 2]);
    expect(data.y).toEqual([
      [1, null, 2],
      [3, 4, null]
    ]);
  });

  it('smooths each run on its own points', () => {
    const data = overlay(
      [
        {
          id: 'a',
          points: [
            [0, 0, 1],
            [2, 0, 1]
          ]
        },
        { id: 'b', points: [[1, 0, 5]] }
      ],
      { ...options, smoothing: 0.5 }
    );
    expect(data.smoothed[0]).toEqual([1, null, 1]);
    expect(data.smoothed[1]).toEqual([null, 5, null]);
  });

  it('finds the nearest x by binary search', () => {
    const xs = [0, 10, 20, 40];
    expect(nearestIndex(xs, -5)).toBe(0);
    expect(nearestIndex(xs, 14)).toBe(1);
    expect(nearestIndex(xs, 15)).toBe(1); // a tie goes to the lower one
    expect(nearestIndex(xs, 31)).toBe(3);
    expect(nearestIndex(xs, 99)).toBe(3);
    expect(nearestIndex([], 1)).toBeNull();
  });
});

describe('run colours', () => {
  it('reads on light and dark backgrounds and differs from run to run', () => {
    const colours = Array.from({ length: 50 }, (_, i) => runColor(i));
    expect(new Set(colours).size).toBe(50);
    for (const colour of colours) {
      expect(colour).toMatch(/^#[0-9a-f]{6}$/);
      // JupyterLab's light and dark layout backgrounds.
      expect(contrastRatio(colour, '#ffffff')).toBeGreaterThanOrEqual(3);
      expect(contrastRatio(colour, '#212121')).toBeGreaterThanOrEqual(3);
    }
  });

  it('gives a new run the lowest free slot', () => {
    expect(freeColorSlot([])).toBe(0);
    expect(freeColorSlot([0, 2, 1])).toBe(3);
    expect(freeColorSlot([0, 2])).toBe(1);
  });
});

describe('run references', () => {
  it('keeps well-formed, distinct references from a command argument', () => {
    const refs = parseRunRefs([
      { workspace: 'local', run_id: 'a' },
      { workspace: 'team', run_id: 'a' },
      { workspace: 'local', run_id: 'a' },
      { workspace: 'local' },
      'junk',
      { workspace: '', run_id: 'b' }
    ]);
    expect(refs).toEqual([
      { workspace: 'local', run_id: 'a' },
      { workspace: 'team', run_id: 'a' }
    ]);
    expect(parseRunRefs(undefined)).toEqual([]);
    expect(runKey(refs[0])).not.toBe(runKey(refs[1]));
  });
});

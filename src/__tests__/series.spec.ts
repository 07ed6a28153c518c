import {
  chartData,
  ema,
  formatClock,
  formatDuration,
  formatStep,
  formatValue,
  logFilter,
  mergePoints,
  MetricSeries,
  pointsAfter,
  xValues
} from '../chart/series';
import { MetricPoint } from '../tokens';

describe('series', () => {
  describe('mergePoints', () => {
    it('appends live points that come after the history', () => {
      const history: MetricPoint[] = [
        [0, 1000, 1],
        [1, 1100, 0.5]
      ];
      const merged = mergePoints(history, [[2, 1200, 0.25]]);
      expect(merged).toEqual([
        [0, 1000, 1],
        [1, 1100, 0.5],
        [2, 1200, 0.25]
      ]);
      // Neither input changes.
      expect(history).toHaveLength(2);
    });

    it('drops points already held and orders by step, then timestamp', () => {
      const history: MetricPoint[] = [
        [0, 1000, 1],
        [2, 1200, 0.3],
        [4, 1400, 0.1]
      ];
      const pushed: MetricPoint[] = [
        [4, 1400, 0.1],
        [3, 1300, 0.2],
        [2, 1200, 0.3],
        [2, 1250, 0.29],
        [5, 1500, 0.05],
        [3, 1300, 0.2]
      ];
      expect(mergePoints(history, pushed)).toEqual([
        [0, 1000, 1],
        [2, 1200, 0.3],
        [2, 1250, 0.29],
        [3, 1300, 0.2],
        [4, 1400, 0.1],
        [5, 1500, 0.05]
      ]);
    });

    it('keeps the incoming value of a repeated (step, timestamp)', () => {
      expect(mergePoints([[1, 10, null]], [[1, 10, 7]])).toEqual([[1, 10, 7]]);
    });

    it('merges into an empty history', () => {
      expect(
        mergePoints(
          [],
          [
            [1, 20, 2],
            [0, 10, 1]
          ]
        )
      ).toEqual([
        [0, 10, 1],
        [1, 20, 2]
      ]);
    });

    it('keeps only the points after a given one', () => {
      const points: MetricPoint[] = [
        [1, 10, 1],
        [2, 20, 2],
        [2, 30, 3]
      ];
      expect(pointsAfter(points, [2, 20, 2])).toEqual([[2, 30, 3]]);
      expect(pointsAfter(points, undefined)).toEqual(points);
    });
  });

  describe('MetricSeries', () => {
    it('keeps points pushed during a history load and drops stale replies', () => {
      const series = new MetricSeries();
      series.push([[5, 1500, 0.1]]);
      const stale = series.beginLoad();
      const ticket = series.beginLoad();
      expect(series.isLoading).toBe(true);
      series.push([
        [6, 1600, 0.09],
        [4, 1400, 0.2]
      ]);
      // An older load's reply is not applied.
      expect(series.applyHistory(stale, [[0, 1000, 1]], false)).toBe(false);
      // A downsampled reply replaces what was held before the load began.
      const applied = series.applyHistory(
        ticket,
        [
          [0, 1000, 1],
          [4, 1400, 0.2]
        ],
        true
      );
      expect(applied).toBe(true);
      expect(series.points).toEqual([
        [0, 1000, 1],
        [4, 1400, 0.2],
        [5, 1500, 0.1],
        [6, 1600, 0.09]
      ]);
      expect(series.sampled).toBe(true);
      expect(series.isLoading).toBe(false);
      expect(series.firstTimestamp).toBe(1000);
      // Where the reply ended, not the pushed points after it.
      expect(series.historyEnd).toEqual([4, 1400, 0.2]);
    });

    it('keeps its points when a load fails', () => {
      const series = new MetricSeries();
      series.push([[1, 10, 1]]);
      series.failLoad(series.beginLoad());
      expect(series.isLoading).toBe(false);
      expect(series.points).toEqual([[1, 10, 1]]);
      expect(series.firstTimestamp).toBe(10);
      expect(series.historyEnd).toBeNull();
    });
  });

  describe('ema', () => {
    it('is debiased, so that the first value is itself', () => {
      const smoothed = ema([1, 2, 3], 0.5);
      // (0.5) / 0.5, (0.25 + 1) / 0.75, (0.625 + 1.5) / 0.875
      expect(smoothed[0]).toBeCloseTo(1, 12);
      expect(smoothed[1]).toBeCloseTo(5 / 3, 12);
      expect(smoothed[2]).toBeCloseTo(17 / 7, 12);
    });

    it('returns the values unchanged at weight 0', () => {
      expect(ema([3, -1, 4], 0)).toEqual([3, -1, 4]);
    });

    it('keeps gaps and carries the average over them', () => {
      const smoothed = ema([2, null, NaN, 4], 0.5);
      expect(smoothed[1]).toBeNull();
      expect(smoothed[2]).toBeNull();
      // As if the gaps were not there: (1 * 0.5 + 2) / 0.75
      expect(smoothed[3]).toBeCloseTo(10 / 3, 12);
    });
  });

  describe('x axis', () => {
    const points: MetricPoint[] = [
      [0, 5000, 1],
      [1, 6500, 2],
      [2, 6000, 3]
    ];

    it('uses steps, epoch seconds or seconds since the first point', () => {
      expect(Array.from(xValues(points, 'step'))).toEqual([0, 1, 2]);
      expect(Array.from(xValues(points, 'wall'))).toEqual([5, 6.5, 6]);
      expect(Array.from(xValues(points, 'relative'))).toEqual([0, 1.5, 1]);
    });

    it('sorts by time when the x axis is time, keeping each step', () => {
      const data = chartData(points, {
        xMode: 'relative',
        logY: false,
        smoothing: 0
      });
      expect(Array.from(data.x)).toEqual([0, 1, 1.5]);
      expect(Array.from(data.steps)).toEqual([0, 2, 1]);
      expect(data.y).toEqual([1, 3, 2]);
      expect(data.smoothed).toBeNull();
    });
  });

  describe('log y', () => {
    const points: MetricPoint[] = [
      [0, 0, 2],
      [1, 1, 0],
      [2, 2, -1],
      [3, 3, null],
      [4, 4, 0.5]
    ];

    it('drops values <= 0 and keeps gaps', () => {
      expect(logFilter(points)).toEqual([
        [0, 0, 2],
        [3, 3, null],
        [4, 4, 0.5]
      ]);
    });

    it('counts the raw points drawn and smooths what is drawn', () => {
      const data = chartData(points, {
        xMode: 'step',
        logY: true,
        smoothing: 0.5
      });
      expect(Array.from(data.x)).toEqual([0, 3, 4]);
      expect(data.y).toEqual([2, null, 0.5]);
      expect(data.count).toBe(2);
      expect(data.smoothed![0]).toBeCloseTo(2, 12);
      expect(data.smoothed![1]).toBeNull();
      expect(data.smoothed![2]).toBeCloseTo((0.5 + 0.25) / 0.75, 12);
    });

    it('counts every finite point on a linear axis', () => {
      const data = chartData(points, {
        xMode: 'step',
        logY: false,
        smoothing: 0
      });
      expect(data.count).toBe(4);
    });
  });

  it('formats values and durations for legends and axes', () => {
    expect(formatValue(1 / 3)).toBe('0.33333');
    expect(formatValue(null)).toBe('NaN');
    expect(formatValue(1234567)).toBe('1.235e+6');
    expect(formatDuration(1.5)).toBe('1.5s');
    expect(formatDuration(125)).toBe('2m05s');
    expect(formatDuration(3720)).toBe('1h02m');
    expect(formatStep(950)).toBe('950');
    expect(formatStep(12000)).toBe('12k');
    expect(formatStep(1500000)).toBe('1.5M');
  });

  it('labels wall-clock ticks as precisely as the axis span needs', () => {
    const t = new Date(2026, 10, 24, 8, 25, 45, 580).getTime() / 1000;
    expect(formatClock(t, 3 * 86400)).toBe('11/24 08:25');
    expect(formatClock(t, 3600)).toBe('08:25');
    expect(formatClock(t, 60)).toBe('08:25:45');
    expect(formatClock(t, 0.05)).toBe('25:45.580');
  });
});

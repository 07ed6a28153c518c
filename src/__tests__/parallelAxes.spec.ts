import {
  linearTicks,
  logTicks,
  numericAxis,
  paramAxis,
  paramAxisKeys,
  parallelAxes,
  IParallelRun
} from '../compare/parallelAxes';

const run = (lr: string): IParallelRun => ({
  id: lr,
  label: lr,
  color: '#000',
  params: { lr },
  value: null
});

describe('parallel coordinates scales', () => {
  it('puts a positive param spanning a decade or more on a log axis', () => {
    const axis = paramAxis('lr', ['0.001', '0.01', '0.0001'].map(run));
    expect(axis.scale).toBe('log');
    expect(axis.positions.map(p => Number(p!.toFixed(6)))).toEqual([0.5, 1, 0]);
    // Seven 1-2-5 ticks would crowd the axis: powers of ten only.
    expect(axis.ticks.map(t => t.label)).toEqual(['0.0001', '0.001', '0.01']);
    expect(axis.ticks[0].position).toBe(0);
    expect(axis.ticks[axis.ticks.length - 1].position).toBe(1);
  });

  it('keeps narrow, zero or negative ranges and the metric linear', () => {
    expect(paramAxis('lr', ['0.002', '0.01'].map(run)).scale).toBe('linear');
    expect(paramAxis('x', ['0', '100'].map(run)).scale).toBe('linear');
    expect(paramAxis('x', ['-1', '100'].map(run)).scale).toBe('linear');
    expect(numericAxis('loss', [0.001, 10]).scale).toBe('linear');
  });

  it('labels round values inside the range', () => {
    expect(linearTicks(0.8, 0.95)).toEqual([0.8, 0.85, 0.9, 0.95]);
    expect(linearTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(0.1, 0.3)).toEqual([0.1, 0.15, 0.2, 0.25, 0.3]);
    expect(linearTicks(1.01, 1.02)).toEqual([1.01, 1.015, 1.02]);
  });

  it('labels powers of ten, with 2 and 5 between them over few decades', () => {
    expect(logTicks(0.001, 0.01)).toEqual([0.001, 0.002, 0.005, 0.01]);
    expect(logTicks(1e-6, 1)).toEqual([1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 1]);
    expect(logTicks(3, 40)).toEqual([5, 10, 20]);
  });
});

describe('parallel axes', () => {
  const runs: IParallelRun[] = [
    {
      id: 'a',
      label: 'a',
      color: '#000',
      params: { lr: '0.1', opt: 'sgd', seed: '1' },
      value: 0.5
    },
    {
      id: 'b',
      label: 'b',
      color: '#000',
      params: { lr: '0.3', opt: 'adam', seed: '1' },
      value: 0.25
    },
    {
      id: 'c',
      label: 'c',
      color: '#000',
      params: { lr: '0.2', opt: 'adamw', seed: '1' },
      value: NaN
    }
  ];

  it('keeps the params that vary, sorted, and puts the metric last', () => {
    expect(paramAxisKeys(runs)).toEqual(['lr', 'opt']);
    const axes = parallelAxes(runs, 'loss');
    expect(axes.map(a => [a.key, a.kind])).toEqual([
      ['lr', 'numeric'],
      ['opt', 'categorical'],
      ['loss', 'numeric']
    ]);
    // NaN has no place on the metric axis.
    expect(axes[2].positions).toEqual([1, 0, null]);
  });

  it('uses every param when none varies', () => {
    const same = runs.map(r => ({ ...r, params: { seed: '1' } }));
    expect(paramAxisKeys(same)).toEqual(['seed']);
  });

  it('places numbers linearly and categories in order', () => {
    const lr = paramAxis('lr', runs);
    expect(lr.positions.map(p => Number(p!.toFixed(6)))).toEqual([0, 1, 0.5]);
    expect(lr.ticks[0]).toEqual({ label: '0.1', position: 0 });
    const opt = paramAxis('opt', runs);
    expect(opt.ticks.map(t => t.label)).toEqual(['adam', 'adamw', 'sgd']);
    expect(opt.positions).toEqual([1, 0, 0.5]);
  });

  it('treats a param as a category once any value is not a number', () => {
    const mixed: IParallelRun[] = [
      { ...runs[0], params: { size: '10' } },
      { ...runs[1], params: { size: 'auto' } },
      { ...runs[2], params: {} }
    ];
    const axis = paramAxis('size', mixed);
    expect(axis.kind).toBe('categorical');
    expect(axis.positions).toEqual([0, 1, null]);
  });

  it('centres an axis whose values are all equal', () => {
    expect(numericAxis('m', [2, 2, null]).positions).toEqual([0.5, 0.5, null]);
  });
});

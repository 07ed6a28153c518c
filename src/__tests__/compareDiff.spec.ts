import { guessDirection, nameWords } from '../compare/bestDirection';
import {
  bestCells,
  buildDiffRows,
  columnLabels,
  formatNumber,
  IDiffColumn,
  summarize,
  wireToNumber
} from '../compare/diff';
import { toCsv, toMarkdown } from '../compare/diffExport';
import { run } from './fakeRuns';

const column = (
  i: number,
  params: Record<string, string>,
  metrics: IDiffColumn['metrics']
): IDiffColumn => ({
  id: `r${i}`,
  label: `run-${i}`,
  workspace: 'local',
  run: run(i, {
    params,
    metrics: Object.fromEntries(
      Object.entries(metrics).map(([k, s]) => [k, s.last ?? 'NaN'])
    )
  }),
  metrics
});

describe('guessDirection', () => {
  it.each([
    ['loss', 'min'],
    ['val_loss', 'min'],
    ['valLoss', 'min'],
    ['train/error_rate', 'min'],
    ['rmse', 'min'],
    ['eval-perplexity', 'min'],
    ['step_time', 'min'],
    ['p95_latency_ms', 'min'],
    ['accuracy', 'max'],
    ['val_acc', 'max'],
    ['top1_acc', 'max'],
    ['f1', 'max'],
    ['macroF1', 'max'],
    ['roc_auc', 'max'],
    ['r2', 'max'],
    ['mAP', 'max'],
    ['bleu', 'max'],
    ['mean_iou', 'max'],
    ['precision', 'max'],
    ['recall', 'max'],
    ['score', 'max']
  ])('guesses %s as %s from the name', (name, direction) => {
    expect(guessDirection(name)).toEqual({ direction, known: true });
  });

  it('lets the last known word decide', () => {
    expect(guessDirection('accuracy_loss').direction).toBe('min');
    expect(guessDirection('loss_score').direction).toBe('max');
  });

  it('guesses lower-is-better for an unknown name, and says it is a guess', () => {
    expect(guessDirection('custom_metric')).toEqual({
      direction: 'min',
      known: false
    });
    // A word that merely contains a known one is not that word.
    expect(guessDirection('glossary').known).toBe(false);
  });

  it('splits names at separators and camelCase humps', () => {
    expect(nameWords('valLoss/top1-acc')).toEqual([
      'val',
      'loss',
      'top1',
      'acc'
    ]);
  });
});

describe('bestCells', () => {
  it('marks the lowest value for min and the highest for max', () => {
    expect(bestCells([0.3, 0.1, 0.2], 'min')).toEqual([false, true, false]);
    expect(bestCells([0.3, 0.1, 0.2], 'max')).toEqual([true, false, false]);
  });

  it('marks every tied best cell', () => {
    expect(bestCells([0.1, 0.5, 0.1], 'min')).toEqual([true, false, true]);
  });

  it('never marks NaN or infinities, even where they are extreme', () => {
    expect(bestCells([NaN, 2, -Infinity, 1], 'min')).toEqual([
      false,
      false,
      false,
      true
    ]);
    expect(bestCells([Infinity, 2, NaN], 'max')).toEqual([false, true, false]);
    expect(bestCells([NaN, Infinity], 'max')).toEqual([false, false]);
  });

  it('marks nothing when every run has the same value', () => {
    expect(bestCells([1, 1, 1], 'min')).toEqual([false, false, false]);
    expect(bestCells([1], 'max')).toEqual([false]);
  });

  it('marks the only finite value against a missing or NaN one', () => {
    expect(bestCells([null, 4], 'min')).toEqual([false, true]);
    expect(bestCells([NaN, 4], 'max')).toEqual([false, true]);
  });
});

describe('summarize', () => {
  it('takes min and max from the finite points and last from the run', () => {
    const summary = summarize('Infinity', [
      [0, 0, 3],
      [1, 1, null],
      [2, 2, -2],
      [3, 3, 7]
    ]);
    expect(summary).toEqual({ last: Infinity, min: -2, max: 7 });
  });

  it('has no min or max without a finite point', () => {
    expect(summarize(undefined, [[0, 0, null]])).toEqual({
      last: null,
      min: null,
      max: null
    });
  });

  it('reads the wire spelling of non-finite values', () => {
    expect(wireToNumber('NaN')).toBeNaN();
    expect(wireToNumber('-Infinity')).toBe(-Infinity);
    expect(wireToNumber(0.5)).toBe(0.5);
    expect(wireToNumber(null)).toBeNull();
  });
});

describe('buildDiffRows', () => {
  const columns = [
    column(
      1,
      { lr: '0.1', layers: '2' },
      { loss: { last: 0.2, min: 0.1, max: 1 } }
    ),
    column(
      2,
      { lr: '0.01', layers: '2' },
      { loss: { last: 0.3, min: 0.05, max: 1 } }
    ),
    column(
      3,
      { lr: '0.1', layers: '2', extra: 'x' },
      { loss: { last: NaN, min: 0.4, max: 1 } }
    )
  ];
  const options = {
    stats: ['last', 'min', 'max', 'best'] as const,
    direction: () => 'min' as const,
    onlyDifferences: false
  };

  it('has one row per attribute, param, and metric stat, in that order', () => {
    const rows = buildDiffRows(columns, options);
    const metricRows = rows.filter(r => r.kind === 'metric');
    expect(metricRows.map(r => r.stat)).toEqual(['last', 'min', 'max', 'best']);
    expect(rows.filter(r => r.kind === 'param').map(r => r.key)).toEqual([
      'extra',
      'layers',
      'lr'
    ]);
    expect(rows[0].kind).toBe('attribute');
    expect(rows.findIndex(r => r.kind === 'metric')).toBeGreaterThan(
      rows.findIndex(r => r.key === 'lr')
    );
  });

  it('marks the best cell of each metric row by its direction', () => {
    const rows = buildDiffRows(columns, options);
    const best = (stat: string) =>
      rows
        .find(r => r.key === 'loss' && r.stat === stat)!
        .cells.map(c => c.best);
    expect(best('last')).toEqual([true, false, false]); // NaN is never best
    expect(best('min')).toEqual([false, true, false]);
    expect(best('best')).toEqual([false, true, false]);
    expect(best('max')).toEqual([false, false, false]); // all equal
    const maxRows = buildDiffRows(columns, {
      ...options,
      direction: () => 'max'
    });
    const bestRow = maxRows.find(r => r.key === 'loss' && r.stat === 'best')!;
    expect(bestRow.cells.map(c => c.value)).toEqual([1, 1, 1]);
    const last = maxRows.find(r => r.key === 'loss' && r.stat === 'last')!;
    expect(last.cells.map(c => c.best)).toEqual([false, true, false]);
  });

  it('keeps only rows whose values differ when asked', () => {
    const rows = buildDiffRows(columns, { ...options, onlyDifferences: true });
    const keys = rows.map(r => `${r.key}${r.stat ? `:${r.stat}` : ''}`);
    expect(keys).toContain('lr');
    expect(keys).toContain('extra'); // missing in two runs: differs
    expect(keys).not.toContain('layers');
    expect(keys).not.toContain('workspace');
    expect(keys).not.toContain('loss:max');
    expect(keys).toContain('loss:last');
    expect(rows.every(r => r.differs)).toBe(true);
  });

  it('shows a dash where a run has no value, and NaN as NaN', () => {
    const rows = buildDiffRows(columns, options);
    expect(rows.find(r => r.key === 'extra')!.cells.map(c => c.text)).toEqual([
      '—',
      '—',
      'x'
    ]);
    const last = rows.find(r => r.key === 'loss' && r.stat === 'last')!;
    expect(last.cells.map(c => c.text)).toEqual(['0.2', '0.3', 'NaN']);
  });

  it('treats two NaNs as the same value', () => {
    const nan = [
      column(1, {}, { m: { last: NaN, min: null, max: null } }),
      column(2, {}, { m: { last: NaN, min: null, max: null } })
    ];
    const rows = buildDiffRows(nan, { ...options, stats: ['last'] });
    expect(rows.find(r => r.key === 'm')!.differs).toBe(false);
  });
});

describe('formatNumber and columnLabels', () => {
  it('spells out non-finite values and keeps six significant digits', () => {
    expect(formatNumber(Infinity)).toBe('Infinity');
    expect(formatNumber(-Infinity)).toBe('-Infinity');
    expect(formatNumber(0.123456789)).toBe('0.123457');
    expect(formatNumber(1e-7)).toBe('1.0000e-7');
  });

  it('tells apart runs that share a name by their id', () => {
    const labels = columnLabels([
      run(1, { run_name: 'same', run_id: 'aaaaaaaa1111' }),
      run(2, { run_name: 'same', run_id: 'bbbbbbbb2222' }),
      run(3, { run_name: 'other' })
    ]);
    expect(labels).toEqual(['same (aaaaaaaa)', 'same (bbbbbbbb)', 'other']);
  });
});

describe('Markdown and CSV', () => {
  const columns = [
    column(
      1,
      { note: 'a|b', lr: '0.1' },
      { loss: { last: 0.25, min: 0.25, max: 1 } }
    ),
    column(
      2,
      { note: 'say "hi", ok', lr: '0.2' },
      { loss: { last: Infinity, min: 0.5, max: 1 } }
    )
  ];
  const rows = buildDiffRows(columns, {
    stats: ['last'],
    direction: () => 'min',
    onlyDifferences: true
  });
  const labels = ['run, one', 'run|two'];

  it('writes a Markdown table with escaped pipes and the best cell bold', () => {
    const markdown = toMarkdown(labels, rows);
    const lines = markdown.trim().split('\n');
    expect(lines[0]).toBe('| key | value | run, one | run\\|two |');
    expect(lines[1]).toBe('| --- | --- | --- | --- |');
    expect(lines).toContain('| note | param | a\\|b | say "hi", ok |');
    expect(lines).toContain('| loss | last ↓ | **0.25** | Infinity |');
  });

  it('writes CSV with quoting and full-precision values', () => {
    const csv = toCsv(labels, rows);
    const lines = csv.trim().split('\n');
    expect(lines[0]).toBe('key,value,"run, one",run|two');
    expect(lines).toContain('note,param,a|b,"say ""hi"", ok"');
    expect(lines).toContain('loss,last ↓,0.25,Infinity');
  });
});

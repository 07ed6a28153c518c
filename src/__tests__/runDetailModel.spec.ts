import { Widget } from '@lumino/widgets';

import { AmlClient } from '../api';
import { MetricSummaryCache } from '../metricSummary';
import { RunDetailModel } from '../runDetailModel';
import { runProvenance } from '../runProvenance';
import { IMetricHistory } from '../tokens';
import { revealCell } from '../widgets/revealCell';
import { RunDetail } from '../widgets/runDetail';
import { run } from './fakeRuns';
import { RUN, runDetailFixture } from './fakeRunDetail';
import { FakeServer } from './fakeServer';

/**
 * A metric history reply with the given global extremes.
 */
function history(key: string, min: number, max: number): IMetricHistory {
  return {
    key,
    run_id: 'r1',
    total_points: 1000,
    sampled: true,
    min: { step: 7, value: min },
    max: { step: 0, value: max },
    last: { step: 999, timestamp: 1, value: min },
    points: []
  };
}

describe('RunDetailModel', () => {
  const detail = runDetailFixture();
  const createModel = detail.create;

  describe('metric summaries', () => {
    beforeEach(() => {
      detail.server
        .on('GET', `${RUN}/metrics/loss`, { body: history('loss', 0.1, 2.5) })
        .on('GET', `${RUN}/metrics/acc`, { body: history('acc', 0.2, 0.95) });
    });

    it('loads each metric min and max once, asking for only 4 points', async () => {
      const model = createModel();
      expect(model.summary('loss')).toBeUndefined();

      await model.loadSummaries();
      await model.loadSummaries();

      expect(model.summary('loss')).toEqual({
        state: 'loaded',
        min: { step: 7, value: 0.1 },
        max: { step: 0, value: 2.5 }
      });
      expect(model.summary('acc')?.max?.value).toBe(0.95);
      const calls = detail.server.requests.filter(r =>
        r.route.includes('/metrics/')
      );
      expect(calls).toHaveLength(2);
      expect(calls[0].url.searchParams.get('max_points')).toBe('4');
    });

    it('shares the summaries of an ended run through the cache', async () => {
      const summaryCache = new MetricSummaryCache();
      await createModel({ summaryCache }).loadSummaries(['loss']);

      const again = createModel({ summaryCache });
      await again.loadSummaries(['loss']);

      expect(again.summary('loss')?.min?.value).toBe(0.1);
      expect(detail.server.calls('GET', `${RUN}/metrics/loss`)).toHaveLength(1);
    });

    it('does not cache a running run, whose extremes still move', async () => {
      const summaryCache = new MetricSummaryCache();
      const running = run(1, { status: 'RUNNING', metrics: { loss: 1 } });
      await createModel({ summaryCache, run: running }).loadSummaries();

      await createModel({ summaryCache, run: running }).loadSummaries();

      expect(detail.server.calls('GET', `${RUN}/metrics/loss`)).toHaveLength(2);
    });

    it('keeps a failing key as an error next to the others', async () => {
      detail.server.on('GET', `${RUN}/metrics/acc`, {
        status: 404,
        body: { message: 'Unknown metric acc' }
      });
      const model = createModel();

      await model.loadSummaries();

      expect(model.summary('acc')).toEqual({
        state: 'error',
        error: 'Unknown metric acc (HTTP 404)'
      });
      expect(model.summary('loss')?.state).toBe('loaded');
    });
  });

  it('reads provenance from tags; only relative notebook paths open', () => {
    const tags = {
      'mlflow.source.name': 'work/train.ipynb',
      'mlflow.source.type': 'NOTEBOOK',
      'jupyterlab_aml.cell_id': 'c-42',
      'jupyterlab_aml.execution_count': '3',
      'jupyterlab_aml.kernel_id': 'k-1',
      'mlflow.user': 'ada'
    };

    expect(runProvenance(run(1, { tags }))).toEqual({
      sourceName: 'work/train.ipynb',
      notebookPath: 'work/train.ipynb',
      cellId: 'c-42',
      executionCount: '3',
      kernelId: 'k-1',
      user: 'ada'
    });
    for (const name of [
      '/Users/ada@example.com/train',
      '/home/ada/train.ipynb',
      'C:\\work\\train.ipynb',
      'https://example.com/train.ipynb'
    ]) {
      const tagged = run(1, { tags: { 'mlflow.source.name': name } });
      expect(runProvenance(tagged).notebookPath).toBeNull();
    }
    const script = run(1, { tags: { 'mlflow.source.name': 'train.py' } });
    expect(runProvenance(script).notebookPath).toBeNull();
  });
});

describe('RunDetail', () => {
  it('opens the source notebook with the cell that started the run', async () => {
    const server = new FakeServer();
    const opened: [string, string | null][] = [];
    const model = new RunDetailModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      workspace: 'local',
      runId: 'r1',
      run: run(1, {
        params: { lr: '0.01' },
        metrics: {},
        tags: {
          'mlflow.source.name': 'nb/train.ipynb',
          'jupyterlab_aml.cell_id': 'cell-9',
          team: 'vision'
        }
      })
    });
    const detail = new RunDetail({
      model,
      openNotebook: (path, cellId) => {
        opened.push([path, cellId]);
      }
    });
    Widget.attach(detail, document.body);

    detail.node.querySelector<HTMLElement>('.jp-aml-run-source')!.click();

    expect(opened).toEqual([['nb/train.ipynb', 'cell-9']]);
    expect(detail.title.label).toBe('run-1');
    const tags = detail.node.querySelector('.jp-aml-run-tags')!;
    expect(tags.querySelector('[data-key="team"]')?.textContent).toBe(
      'teamvision'
    );
    expect(
      detail.node.querySelector(
        '.jp-aml-run-system-tags [data-key="mlflow.source.name"]'
      )
    ).not.toBeNull();
    detail.dispose();
    detail.dispose();
    expect(model.isDisposed).toBe(true);
  });

  it('reveals a cell by its model id in an opened notebook panel', async () => {
    const scrolled: number[] = [];
    const panel = {
      context: { ready: Promise.resolve() },
      revealed: Promise.resolve(),
      content: {
        widgets: ['a', 'b', 'c'].map(id => ({ model: { id } })),
        activeCellIndex: 0,
        scrollToItem: async (index: number) => {
          scrolled.push(index);
        }
      }
    };

    expect(await revealCell(panel, 'c')).toBe(true);
    expect(panel.content.activeCellIndex).toBe(2);
    expect(scrolled).toEqual([2]);
    expect(await revealCell(panel, 'gone')).toBe(false);
    expect(panel.content.activeCellIndex).toBe(2);
  });
});

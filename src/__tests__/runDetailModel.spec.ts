import { Widget } from '@lumino/widgets';

import { AmlClient } from '../api';
import { MAX_CSV_ROWS, parseDelimited } from '../artifactPreview';
import { MetricSummaryCache } from '../metricSummary';
import { RunDetailModel } from '../runDetailModel';
import { runProvenance } from '../runProvenance';
import { IArtifactFile, IMetricHistory } from '../tokens';
import { ArtifactsView } from '../widgets/artifacts';
import { revealCell } from '../widgets/revealCell';
import { RunDetail } from '../widgets/runDetail';
import { run } from './fakeRuns';
import { FakeServer, IReply, until } from './fakeServer';

const RUN = 'api/workspaces/local/runs/r1';
const ARTIFACTS = `${RUN}/artifacts`;
const CONTENT = `${RUN}/artifacts/content`;

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

function file(path: string, size: number | null = 10): IArtifactFile {
  return { path, is_dir: false, file_size: size };
}

function dir(path: string): IArtifactFile {
  return { path, is_dir: true, file_size: null };
}

describe('RunDetailModel', () => {
  let server: FakeServer;
  let urls: string[];
  let revoked: string[];
  let models: RunDetailModel[];

  const createModel = (options: Partial<RunDetailModel.IOptions> = {}) => {
    const model = new RunDetailModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      workspace: 'local',
      runId: 'r1',
      run: run(1, { metrics: { loss: 0.5, acc: 0.9 } }),
      createObjectUrl: () => {
        urls.push(`blob:${urls.length}`);
        return urls[urls.length - 1];
      },
      revokeObjectUrl: url => revoked.push(url),
      ...options
    });
    models.push(model);
    return model;
  };

  beforeEach(() => {
    server = new FakeServer();
    urls = [];
    revoked = [];
    models = [];
  });

  afterEach(() => {
    models.forEach(model => model.dispose());
  });

  describe('metric summaries', () => {
    beforeEach(() => {
      server
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
      const calls = server.requests.filter(r => r.route.includes('/metrics/'));
      expect(calls).toHaveLength(2);
      expect(calls[0].url.searchParams.get('max_points')).toBe('4');
    });

    it('shares the summaries of an ended run through the cache', async () => {
      const summaryCache = new MetricSummaryCache();
      await createModel({ summaryCache }).loadSummaries(['loss']);

      const again = createModel({ summaryCache });
      await again.loadSummaries(['loss']);

      expect(again.summary('loss')?.min?.value).toBe(0.1);
      expect(server.calls('GET', `${RUN}/metrics/loss`)).toHaveLength(1);
    });

    it('does not cache a running run, whose extremes still move', async () => {
      const summaryCache = new MetricSummaryCache();
      const running = run(1, { status: 'RUNNING', metrics: { loss: 1 } });
      await createModel({ summaryCache, run: running }).loadSummaries();

      await createModel({ summaryCache, run: running }).loadSummaries();

      expect(server.calls('GET', `${RUN}/metrics/loss`)).toHaveLength(2);
    });

    it('keeps a failing key as an error next to the others', async () => {
      server.on('GET', `${RUN}/metrics/acc`, {
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

  describe('artifacts', () => {
    it('lists each folder when it is first opened', async () => {
      server.on('GET', ARTIFACTS, request => {
        const path = request.url.searchParams.get('path');
        const files =
          path === ''
            ? [file('metrics.csv'), dir('model')]
            : [file('model/MLmodel'), file('model/model.pkl', 2048)];
        return { body: { files } };
      });
      const { artifacts } = createModel();

      await artifacts.expand('');
      await artifacts.expand('model');
      artifacts.collapse('model');
      await artifacts.expand('model');

      expect(artifacts.folder('')?.files.map(f => f.path)).toEqual([
        'model',
        'metrics.csv'
      ]);
      expect(artifacts.folder('model')?.files).toHaveLength(2);
      expect(artifacts.isExpanded('model')).toBe(true);
      const paths = server
        .calls('GET', ARTIFACTS)
        .map(r => r.url.searchParams.get('path'));
      expect(paths).toEqual(['', 'model']);
    });

    it('previews images from fetched bytes and revokes their URLs', async () => {
      server.on('GET', CONTENT, {
        raw: new Uint8Array([137, 80, 78, 71]),
        contentType: 'application/octet-stream'
      });
      const model = createModel();
      const { artifacts } = model;

      await artifacts.select(file('plots/loss.png'));
      const preview = artifacts.preview;
      expect(preview?.kind).toBe('image');
      expect(preview && 'url' in preview ? preview.url : null).toBe('blob:0');
      expect(server.calls('GET', CONTENT)[0].headers.get('Authorization')).toBe(
        'token test-token'
      );

      await artifacts.select(file('plots/acc.svg'));
      expect(revoked).toEqual(['blob:0']);

      model.dispose();
      model.dispose();
      expect(revoked).toEqual(['blob:0', 'blob:1']);
    });

    it('previews text, pretty JSON and the first rows of a CSV', async () => {
      const bodies: Record<string, IReply> = {
        'notes.txt': { raw: 'hello', contentType: 'text/plain' },
        'config.json': { raw: '{"lr":0.01,"layers":[1,2]}' },
        'big.csv': {
          raw: Array.from({ length: 500 }, (_, i) => `${i},"a,""b"""`).join(
            '\n'
          ),
          contentType: 'text/csv'
        },
        'weights.bin': {
          raw: new Uint8Array([0, 1, 2, 0]),
          contentType: 'application/octet-stream'
        }
      };
      server.on(
        'GET',
        CONTENT,
        request => bodies[request.url.searchParams.get('path')!]
      );
      const { artifacts } = createModel();

      await artifacts.select(file('notes.txt'));
      expect(artifacts.preview).toMatchObject({ kind: 'text', text: 'hello' });

      await artifacts.select(file('config.json'));
      expect(artifacts.preview).toMatchObject({
        kind: 'json',
        text: '{\n  "lr": 0.01,\n  "layers": [\n    1,\n    2\n  ]\n}'
      });

      await artifacts.select(file('big.csv'));
      const csv = artifacts.preview;
      expect(csv?.kind).toBe('csv');
      if (csv?.kind === 'csv') {
        expect(csv.rows).toHaveLength(MAX_CSV_ROWS);
        expect(csv.rows[1]).toEqual(['1', 'a,"b"']);
        expect(csv.truncated).toBe(true);
      }

      await artifacts.select(file('weights.bin'));
      expect(artifacts.preview?.kind).toBe('binary');
    });

    it('does not fetch a file over 5 MB for a preview', async () => {
      const { artifacts } = createModel();

      await artifacts.select(file('model.onnx', 6 * 1024 * 1024));

      expect(artifacts.preview).toEqual({
        kind: 'too-large',
        path: 'model.onnx',
        size: 6 * 1024 * 1024
      });
      expect(server.calls('GET', CONTENT)).toHaveLength(0);
    });
  });

  it('parses quoted CSV fields, CRLF and TSV', () => {
    expect(parseDelimited('a,"b\r\nc"\r\n1,2', ',', 10).rows).toEqual([
      ['a', 'b\r\nc'],
      ['1', '2']
    ]);
    expect(parseDelimited('x\ty\n1\t2\n', '\t', 1)).toEqual({
      rows: [['x', 'y']],
      truncated: true
    });
  });
});

describe('Artifact previews in the page', () => {
  let server: FakeServer;
  let model: RunDetailModel;
  let view: ArtifactsView;

  beforeEach(() => {
    server = new FakeServer();
    model = new RunDetailModel({
      client: new AmlClient({ serverSettings: server.settings() }),
      workspace: 'local',
      runId: 'r1',
      run: run(1)
    });
    view = new ArtifactsView({ model: model.artifacts });
  });

  afterEach(() => {
    view.dispose();
    model.dispose();
  });

  it('shows CSV cells as text and HTML only in a script-less sandbox', async () => {
    server.on('GET', CONTENT, request =>
      request.url.searchParams.get('path') === 'x.csv'
        ? { raw: 'name\n<img src=x onerror=alert(1)>' }
        : { raw: '<script>parent.alert(1)</script><b>hi</b>' }
    );

    await model.artifacts.select(file('x.csv'));
    const cell = view.node.querySelector('.jp-aml-artifact-csv td')!;
    expect(cell.textContent).toBe('<img src=x onerror=alert(1)>');
    expect(view.node.querySelector('.jp-aml-artifact-csv img')).toBeNull();

    await model.artifacts.select(file('report.html'));
    const frame = view.node.querySelector('iframe')!;
    expect(frame.getAttribute('sandbox')).toBe('');
    expect(frame.srcdoc).toContain('<b>hi</b>');
    expect(view.node.querySelector('script')).toBeNull();
  });

  it('renders the tree with sizes and opens folders from the keyboard', async () => {
    server.on('GET', ARTIFACTS, request =>
      request.url.searchParams.get('path') === ''
        ? { body: { files: [dir('model'), file('log.txt', 2048)] } }
        : { body: { files: [file('model/MLmodel', 300)] } }
    );
    await view.open();
    const items = () =>
      Array.from(view.node.querySelectorAll<HTMLElement>('.jp-aml-artifact'));
    expect(items().map(i => i.textContent)).toEqual([
      '▸model',
      '·log.txt2.0 KB'
    ]);

    items()[0].dispatchEvent(
      new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true })
    );
    await until(model.artifacts.stateChanged, () => items().length === 3);

    expect(items()[0].getAttribute('aria-expanded')).toBe('true');
    expect(items()[1].dataset.path).toBe('model/MLmodel');
    expect(items()[1].getAttribute('aria-level')).toBe('2');
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

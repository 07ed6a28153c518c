import { MAX_CSV_ROWS, parseDelimited } from '../artifactPreview';
import { RunDetailModel } from '../runDetailModel';
import { IArtifactFile } from '../tokens';
import { ArtifactsView } from '../widgets/artifacts';
import { run } from './fakeRuns';
import { RUN, runDetailFixture } from './fakeRunDetail';
import { IReply, until } from './fakeServer';

const ARTIFACTS = `${RUN}/artifacts`;
const CONTENT = `${RUN}/artifacts/content`;

function file(path: string, size: number | null = 10): IArtifactFile {
  return { path, is_dir: false, file_size: size };
}

function dir(path: string): IArtifactFile {
  return { path, is_dir: true, file_size: null };
}

describe("A run's artifacts", () => {
  const detail = runDetailFixture();
  let urls: string[];
  let revoked: string[];

  const createModel = () =>
    detail.create({
      createObjectUrl: () => {
        urls.push(`blob:${urls.length}`);
        return urls[urls.length - 1];
      },
      revokeObjectUrl: url => revoked.push(url)
    });

  beforeEach(() => {
    urls = [];
    revoked = [];
  });

  it('lists each folder when it is first opened', async () => {
    detail.server.on('GET', ARTIFACTS, request => {
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
    const paths = detail.server
      .calls('GET', ARTIFACTS)
      .map(r => r.url.searchParams.get('path'));
    expect(paths).toEqual(['', 'model']);
  });

  it('previews images from fetched bytes and revokes their URLs', async () => {
    detail.server.on('GET', CONTENT, {
      raw: new Uint8Array([137, 80, 78, 71]),
      contentType: 'application/octet-stream'
    });
    const model = createModel();
    const { artifacts } = model;

    await artifacts.select(file('plots/loss.png'));
    const preview = artifacts.preview;
    expect(preview?.kind).toBe('image');
    expect(preview && 'url' in preview ? preview.url : null).toBe('blob:0');
    expect(
      detail.server.calls('GET', CONTENT)[0].headers.get('Authorization')
    ).toBe('token test-token');

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
        raw: Array.from({ length: 500 }, (_, i) => `${i},"a,""b"""`).join('\n'),
        contentType: 'text/csv'
      },
      'weights.bin': {
        raw: new Uint8Array([0, 1, 2, 0]),
        contentType: 'application/octet-stream'
      }
    };
    detail.server.on(
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
    expect(detail.server.calls('GET', CONTENT)).toHaveLength(0);
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
  const detail = runDetailFixture();
  let model: RunDetailModel;
  let view: ArtifactsView;

  beforeEach(() => {
    model = detail.create({ run: run(1) });
    view = new ArtifactsView({ model: model.artifacts });
  });

  afterEach(() => {
    view.dispose();
  });

  it('shows CSV cells as text and HTML only in a script-less sandbox', async () => {
    detail.server.on('GET', CONTENT, request =>
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
    detail.server.on('GET', ARTIFACTS, request =>
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

/**
 * What an artifact's preview shows, decided from its name and bytes.
 *
 * Nothing here touches the DOM: the widget renders a preview with `textContent`
 * and sandboxed frames only, so no artifact can run script in the page.
 */

/**
 * Files larger than this are offered for download instead of a preview.
 */
export const MAX_PREVIEW_BYTES = 5 * 1024 * 1024;

/**
 * How many CSV rows a preview shows.
 */
export const MAX_CSV_ROWS = 200;

/**
 * How many characters of text a preview shows.
 */
export const MAX_TEXT_CHARS = 256 * 1024;

/**
 * A preview of one artifact file.
 */
export type ArtifactPreview =
  | (IPreviewBase<'image'> & { url: string })
  | (IPreviewBase<'text' | 'json'> & { text: string; truncated: boolean })
  | (IPreviewBase<'csv'> & { rows: string[][]; truncated: boolean })
  | (IPreviewBase<'html'> & { html: string })
  | IPreviewBase<'too-large' | 'binary'>
  | (IPreviewBase<'error'> & { message: string });

/**
 * What every preview has.
 */
export interface IPreviewBase<K extends string> {
  kind: K;
  /** The artifact path, relative to the run's artifact root. */
  path: string;
  /** The size in bytes, when known. */
  size: number | null;
}

/**
 * How to show a file, judged by its name.
 */
export type PreviewKind =
  'image' | 'text' | 'json' | 'csv' | 'tsv' | 'html' | 'unknown';

/**
 * The preview kind of a file name ('unknown' decides by its bytes).
 */
export function previewKind(path: string): PreviewKind {
  const name = basename(path).toLowerCase();
  const ext = extension(path);
  if (ext in IMAGE_TYPES) {
    return 'image';
  }
  if (ext === 'json' || ext === 'ipynb' || ext === 'geojson') {
    return 'json';
  }
  if (ext === 'csv' || ext === 'tsv') {
    return ext;
  }
  if (ext === 'html' || ext === 'htm') {
    return 'html';
  }
  if (TEXT_EXTENSIONS.has(ext) || TEXT_NAMES.has(name)) {
    return 'text';
  }
  return 'unknown';
}

/**
 * The last segment of an artifact path.
 */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/**
 * Build the preview of `blob`, the bytes of `path`; `createUrl` makes the
 * object URL of an image.
 */
export async function buildPreview(
  path: string,
  blob: Blob,
  createUrl: (blob: Blob) => string
): Promise<ArtifactPreview> {
  const size = blob.size;
  if (size > MAX_PREVIEW_BYTES) {
    return { kind: 'too-large', path, size };
  }
  const kind = previewKind(path);
  if (kind === 'image') {
    // The server's content type may be generic; an SVG renders only as image/svg+xml.
    const type = IMAGE_TYPES[extension(path)];
    return { kind, path, size, url: createUrl(new Blob([blob], { type })) };
  }
  const text = await blob.text();
  if (kind === 'unknown' && Private.looksBinary(text)) {
    return { kind: 'binary', path, size };
  }
  if (kind === 'html') {
    return { kind, path, size, html: text };
  }
  if (kind === 'csv' || kind === 'tsv') {
    const { rows, truncated } = parseDelimited(
      text,
      kind === 'tsv' ? '\t' : ',',
      MAX_CSV_ROWS
    );
    return { kind: 'csv', path, size, rows, truncated };
  }
  if (kind === 'json') {
    try {
      const pretty = JSON.stringify(JSON.parse(text), null, 2);
      return { kind, path, size, ...Private.clip(pretty) };
    } catch {
      // Not valid JSON after all: the text is still worth seeing.
    }
  }
  return { kind: 'text', path, size, ...Private.clip(text) };
}

/**
 * The first `maxRows` records of CSV (RFC 4180 quoting) or TSV text.
 */
export function parseDelimited(
  text: string,
  delimiter: string,
  maxRows: number
): { rows: string[][]; truncated: boolean } {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = 0;
  const endRow = () => {
    row.push(field);
    rows.push(row);
    row = [];
    field = '';
  };
  while (i < text.length) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
        continue;
      }
      if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === delimiter) {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') {
        i++;
      }
      endRow();
      if (rows.length > maxRows) {
        break;
      }
    } else {
      field += char;
    }
    i++;
  }
  if (field !== '' || row.length > 0) {
    endRow();
  }
  const truncated = rows.length > maxRows;
  return { rows: rows.slice(0, maxRows), truncated };
}

/**
 * The lowercase extension of a path ('' for none).
 */
function extension(path: string): string {
  const name = basename(path).toLowerCase();
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot + 1);
}

/**
 * The image types a browser shows in `<img>`, by extension.
 */
const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
  svg: 'image/svg+xml',
  ico: 'image/x-icon'
};

/**
 * Extensions of plain text files.
 */
const TEXT_EXTENSIONS = new Set([
  'txt',
  'log',
  'md',
  'py',
  'r',
  'yaml',
  'yml',
  'toml',
  'ini',
  'cfg',
  'conf',
  'sh',
  'sql',
  'xml',
  'js',
  'ts',
  'jsonl',
  'ndjson',
  'rst'
]);

/**
 * Names of text files without a telling extension (MLflow writes `MLmodel`).
 */
const TEXT_NAMES = new Set(['mlmodel', 'license', 'readme', 'dockerfile']);

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * Whether decoded bytes are binary: NUL characters or many replacement ones.
   */
  export function looksBinary(text: string): boolean {
    const head = text.slice(0, 8192);
    if (head.includes('\u0000')) {
      return true;
    }
    const replaced = head.split('\ufffd').length - 1;
    return replaced > head.length / 100;
  }

  /**
   * Text cut to what a preview shows.
   */
  export function clip(text: string): { text: string; truncated: boolean } {
    return text.length > MAX_TEXT_CHARS
      ? { text: text.slice(0, MAX_TEXT_CHARS), truncated: true }
      : { text, truncated: false };
  }
}

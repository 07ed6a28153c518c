/**
 * The diff table as text to paste elsewhere: Markdown (best values in bold)
 * and CSV (full-precision numbers). Pure functions.
 */

import { directionArrow } from './bestDirection';
import { IDiffRow, MISSING } from './diff';

/**
 * The text of a row's second column: `param`, `attribute`, or the stat and
 * direction of a metric (`best ↓`).
 */
export function rowLabel(row: IDiffRow): string {
  if (row.kind !== 'metric') {
    return row.kind;
  }
  return `${row.stat} ${directionArrow(row.direction ?? 'min')}`;
}

/**
 * The rows as a GitHub-flavoured Markdown table; best cells are bold.
 */
export function toMarkdown(
  labels: readonly string[],
  rows: readonly IDiffRow[]
): string {
  const line = (cells: string[]) =>
    `| ${cells.map(Private.markdownCell).join(' | ')} |`;
  const lines = [
    line(['key', 'value', ...labels]),
    `|${' --- |'.repeat(labels.length + 2)}`
  ];
  for (const row of rows) {
    const cells = row.cells.map(cell => {
      const text = Private.markdownCell(cell.text);
      return cell.best ? `**${text}**` : text;
    });
    lines.push(
      `| ${Private.markdownCell(row.key)} | ${Private.markdownCell(rowLabel(row))} | ${cells.join(' | ')} |`
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * The rows as CSV (RFC 4180 quoting): numbers at full precision, NaN and
 * infinities spelled out, an empty field where a run has no value.
 */
export function toCsv(
  labels: readonly string[],
  rows: readonly IDiffRow[]
): string {
  const line = (cells: string[]) => cells.map(Private.csvField).join(',');
  const lines = [line(['key', 'value', ...labels])];
  for (const row of rows) {
    const cells = row.cells.map(cell =>
      cell.value === null ? '' : String(cell.value)
    );
    lines.push(line([row.key, rowLabel(row), ...cells]));
  }
  return lines.join('\n') + '\n';
}

/**
 * Module private helpers.
 */
namespace Private {
  /**
   * A Markdown table cell: pipes escaped, line breaks flattened.
   */
  export function markdownCell(text: string): string {
    const flat = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
    return flat === '' ? MISSING : flat;
  }

  /**
   * A CSV field, quoted when it holds a comma, quote, line break or edge space.
   */
  export function csvField(text: string): string {
    return /[",\r\n]|^\s|\s$/.test(text)
      ? `"${text.replace(/"/g, '""')}"`
      : text;
  }
}

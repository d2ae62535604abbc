/** Plain-text tables for CLI output (kubectl style): pure, no I/O. */

/** Cell text: null and undefined print as `-`, line breaks as spaces. */
export type Cell = string | number | boolean | null | undefined;

const GAP = '   ';

function cellText(cell: Cell): string {
  if (cell === null || cell === undefined || cell === '') return '-';
  if (typeof cell === 'boolean') return cell ? 'yes' : 'no';
  return String(cell).replace(/\r?\n/g, ' ');
}

/**
 * Aligns `rows` under `headers`: columns separated by three spaces, no trailing spaces, a final
 * newline. Missing cells print as `-`; extra cells beyond the headers are dropped.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const texts = rows.map((row) => headers.map((_, i) => cellText(row[i])));
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...texts.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join(GAP)
      .trimEnd();
  return [line(headers), ...texts.map(line)].join('\n') + '\n';
}

import { describe, expect, it } from '@jest/globals';
import { formatTable } from '../../../src/cli/table.js';

describe('formatTable', () => {
  it('aligns columns to the widest cell with three spaces between, no trailing spaces', () => {
    const text = formatTable(
      ['NAME', 'PORTS', 'OK'],
      [
        ['payments', '8080/http', true],
        ['db', '5432/tcp,9187/http', false],
      ],
    );
    expect(text).toBe(
      [
        'NAME       PORTS                OK',
        'payments   8080/http            yes',
        'db         5432/tcp,9187/http   no',
        '',
      ].join('\n'),
    );
  });

  it('prints only the header for no rows', () => {
    expect(formatTable(['A', 'B'], [])).toBe('A   B\n');
  });

  it('prints missing, null and empty cells as "-", numbers as digits, and drops extra cells', () => {
    expect(formatTable(['A', 'B', 'C'], [[null, '', 0, 'extra'], [undefined]])).toBe(
      'A   B   C\n-   -   0\n-   -   -\n',
    );
  });

  it('keeps a row on one line', () => {
    expect(formatTable(['A'], [['x\ny']])).toBe('A\nx y\n');
  });

  it('does not pad the last column', () => {
    const lines = formatTable(['LONG-HEADER', 'X'], [['a', 'b']]).split('\n');
    expect(lines[1]).toBe('a             b');
    expect(lines.every((line) => line === line.trimEnd())).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { FlotillaError } from '../core/index.js';
import { formatCsv, parseCsv, parseCsvRecords } from './csv.js';

function errorOf(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (error) {
    return error as FlotillaError;
  }
  throw new Error('expected an error');
}

describe('parseCsvRecords', () => {
  it('strips a BOM, accepts CRLF, LF and CR line ends and skips empty lines', () => {
    const records = parseCsvRecords('\uFEFFa,b\r\n1,2\r\n\r\n3,4\n5,6\r7,8');
    expect(records).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', '2'] },
      { line: 4, fields: ['3', '4'] },
      { line: 5, fields: ['5', '6'] },
      { line: 6, fields: ['7', '8'] },
    ]);
  });

  it('handles quoted fields with delimiters, doubled quotes and line breaks, keeping start lines', () => {
    const records = parseCsvRecords('x,y\n"a, b","say ""hi"""\n"two\r\nlines",z\nlast,""\n');
    expect(records).toEqual([
      { line: 1, fields: ['x', 'y'] },
      { line: 2, fields: ['a, b', 'say "hi"'] },
      { line: 3, fields: ['two\r\nlines', 'z'] },
      { line: 5, fields: ['last', ''] },
    ]);
  });

  it('keeps empty trailing fields and literal quotes inside unquoted fields', () => {
    expect(parseCsvRecords('a,,\n5\'10",x')).toEqual([
      { line: 1, fields: ['a', '', ''] },
      { line: 2, fields: ['5\'10"', 'x'] },
    ]);
  });

  it('uses another delimiter', () => {
    expect(parseCsvRecords('a;b\n"1;2";3', { delimiter: ';' })[1]!.fields).toEqual(['1;2', '3']);
  });

  it('reports an unclosed quote at the line and column where it opened', () => {
    const error = errorOf(() => parseCsvRecords('a,b\n1,2\n3,"open\nmore', { source: 'h.csv' }));
    expect(error.code).toBe('DATA_INVALID');
    expect(error.message).toBe('h.csv: line 3, column 3: quoted field is never closed');
    expect(error.details).toMatchObject({ line: 3, column: 3 });
  });

  it('reports text after a closing quote with line and column', () => {
    const error = errorOf(() => parseCsvRecords('a,b\r\n"x"y,2', { source: 'h.csv' }));
    expect(error.message).toBe(
      'h.csv: line 2, column 4: unexpected "y" after a closing quote (expected "," or end of line)',
    );
  });
});

describe('parseCsv', () => {
  it('separates the trimmed header from the records', () => {
    const table = parseCsv(' id , value\n1,2\n');
    expect(table.header).toEqual(['id', 'value']);
    expect(table.records).toEqual([{ line: 2, fields: ['1', '2'] }]);
  });

  it('rejects empty files, unnamed and repeated header columns', () => {
    expect(errorOf(() => parseCsv('\n\n', { source: 'f.csv' })).message).toBe(
      'f.csv: empty file, expected a header line',
    );
    expect(errorOf(() => parseCsv('a,,c\n', { source: 'f.csv' })).message).toBe(
      'f.csv: line 1: header column 2 has no name',
    );
    expect(errorOf(() => parseCsv('\na,b,a\n', { source: 'f.csv' })).message).toBe(
      'f.csv: line 2: header repeats column "a"',
    );
  });
});

describe('formatCsv', () => {
  it('quotes only fields that need it and round-trips through the parser', () => {
    const rows = [
      ['plain', 'with,comma', 'say "hi"', 'two\nlines'],
      ['', 'N/A', '3.5', 'x'],
    ];
    const text = formatCsv(['a', 'b', 'c', 'd'], rows);
    expect(text.split('\n')[1]).toBe('plain,"with,comma","say ""hi""","two');
    expect(parseCsv(text).records.map((r) => r.fields)).toEqual(rows);
  });
});

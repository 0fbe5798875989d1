/**
 * A small RFC 4180 CSV parser. Pure and browser-safe (file reading lives in files.ts). It handles a UTF-8 byte
 * order mark, CRLF / LF / CR line ends, quoted fields containing delimiters, newlines and doubled quotes, and skips
 * empty lines. It keeps the 1-based line on which each record starts so that later checks (field counts,
 * numbers) can say where a bad row is. A quote inside an unquoted field is kept literally (`5'10"` is common in
 * hand-made files); an unterminated quoted field or text after a closing quote is a DATA_INVALID error with line
 * and column.
 */
import { FlotillaError } from '../core/index.js';

export interface CsvRecord {
  /** 1-based line number where the record starts (a quoted field may span several lines). */
  readonly line: number;
  readonly fields: readonly string[];
}

export interface CsvTable {
  readonly header: readonly string[];
  readonly records: readonly CsvRecord[];
}

export interface CsvOptions {
  /** Field separator, one character (default ','). */
  readonly delimiter?: string;
  /** File name or description used in error messages. */
  readonly source?: string;
}

/** Splits CSV text into records of raw (untrimmed, unconverted) fields. */
export function parseCsvRecords(text: string, options: CsvOptions = {}): CsvRecord[] {
  const delimiter = options.delimiter ?? ',';
  const source = options.source ?? 'CSV';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `CSV delimiter must be one character other than a quote or newline`,
    );
  }
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  let lineStart = i;
  const column = (at: number) => at - lineStart + 1;
  const fail = (problem: string, atLine: number, atColumn: number): never => {
    throw new FlotillaError('DATA_INVALID', `${source}: line ${atLine}, column ${atColumn}: ${problem}`, {
      source,
      line: atLine,
      column: atColumn,
    });
  };
  // Consumes a line end at i (CRLF, LF or CR) and returns true, or returns false.
  const endOfLine = (): boolean => {
    const c = text[i];
    if (c !== '\n' && c !== '\r') return false;
    i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    line++;
    lineStart = i;
    return true;
  };

  while (i < text.length) {
    if (endOfLine()) continue; // empty line
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      let value = '';
      if (text[i] === '"') {
        const openLine = line;
        const openColumn = column(i);
        i++;
        for (;;) {
          if (i >= text.length) fail('quoted field is never closed', openLine, openColumn);
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n' || c === '\r') {
            value += c === '\r' && text[i + 1] === '\n' ? '\r\n' : c;
            endOfLine();
            continue;
          }
          value += c;
          i++;
        }
        if (i < text.length && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
          fail(
            `unexpected "${text[i]}" after a closing quote (expected "${delimiter}" or end of line)`,
            line,
            column(i),
          );
        }
      } else {
        const start = i;
        while (i < text.length && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') i++;
        value = text.slice(start, i);
      }
      fields.push(value);
      if (text[i] === delimiter) {
        i++;
        continue;
      }
      break;
    }
    records.push({ line: recordLine, fields });
    endOfLine();
  }
  return records;
}

/** Parses CSV text whose first record is a header of unique, non-empty column names. */
export function parseCsv(text: string, options: CsvOptions = {}): CsvTable {
  const source = options.source ?? 'CSV';
  const [first, ...records] = parseCsvRecords(text, options);
  if (first === undefined)
    throw new FlotillaError('DATA_INVALID', `${source}: empty file, expected a header line`);
  const header = first.fields.map((name) => name.trim());
  const seen = new Set<string>();
  header.forEach((name, k) => {
    if (name === '') {
      throw new FlotillaError(
        'DATA_INVALID',
        `${source}: line ${first.line}: header column ${k + 1} has no name`,
      );
    }
    if (seen.has(name)) {
      throw new FlotillaError(
        'DATA_INVALID',
        `${source}: line ${first.line}: header repeats column "${name}"`,
      );
    }
    seen.add(name);
  });
  return { header, records };
}

/** Quotes a field when it contains the delimiter, a quote or a line break (RFC 4180). */
export function formatCsvField(value: string, delimiter = ','): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Formats a header and rows as CSV text with LF line ends and a final newline. */
export function formatCsv(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  delimiter = ',',
): string {
  const line = (fields: readonly string[]) => fields.map((f) => formatCsvField(f, delimiter)).join(delimiter);
  return [header, ...rows].map(line).join('\n') + '\n';
}

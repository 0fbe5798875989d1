/**
 * A run's rounds as a table of numbers: one row per committed round, one column per numeric fact of its record
 * (train metrics, server and federated evaluation, durations, bytes, privacy). What `flotilla runs export --format
 * csv` writes, what `runs compare` reads final and best values from, and what the report plots. Records are read
 * as stored JSON (any shape): a value that is not a number is left out rather than trusted.
 */
import type { StoredRound } from '../../storage/index.js';

export interface RoundTable {
  /** Column names, `round` first, in first-seen order. */
  readonly columns: readonly string[];
  /** One row per round; a missing or non-numeric value is undefined (NaN stays NaN: a diverged loss is data). */
  readonly rows: readonly (readonly (number | undefined)[])[];
}

type Json = Readonly<Record<string, unknown>>;

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Numeric leaves of an object one level deep, e.g. metrics { loss, accuracy }. */
function numbers(into: Map<string, number>, prefix: string, value: unknown): void {
  if (!isObject(value)) return;
  for (const [key, v] of Object.entries(value)) if (typeof v === 'number') into.set(`${prefix}${key}`, v);
}

/** The numeric facts of one round record, by column name. */
export function roundFacts(record: Json): Map<string, number> {
  const facts = new Map<string, number>();
  const count = (key: string) => {
    const list = record[key];
    if (Array.isArray(list)) facts.set(key, list.length);
  };
  if (typeof record['round'] === 'number') facts.set('round', record['round']);
  if (typeof record['attempts'] === 'number') facts.set('attempts', record['attempts']);
  count('selected');
  count('participants');
  count('failures');
  const train = record['train'];
  if (isObject(train)) {
    if (typeof train['numExamples'] === 'number') facts.set('train.numExamples', train['numExamples']);
    numbers(facts, 'train.', train['metrics']);
  }
  for (const [key, prefix] of [
    ['serverEvaluation', 'server.'],
    ['federatedEvaluation', 'federated.'],
  ] as const) {
    const evaluation = record[key];
    if (!isObject(evaluation)) continue;
    if (typeof evaluation['loss'] === 'number') facts.set(`${prefix}loss`, evaluation['loss']);
    if (typeof evaluation['numExamples'] === 'number')
      facts.set(`${prefix}numExamples`, evaluation['numExamples']);
    numbers(facts, prefix, evaluation['metrics']);
    const spread = evaluation['accuracySpread'];
    if (isObject(spread) && typeof spread['worst10Mean'] === 'number') {
      facts.set(`${prefix}worst10Accuracy`, spread['worst10Mean']);
    }
  }
  numbers(facts, 'durations.', record['durations']);
  if (typeof record['bytesSent'] === 'number') facts.set('bytesSent', record['bytesSent']);
  if (typeof record['bytesReceived'] === 'number') facts.set('bytesReceived', record['bytesReceived']);
  const privacy = record['privacy'];
  if (isObject(privacy)) {
    if (typeof privacy['epsilon'] === 'number') facts.set('privacy.epsilon', privacy['epsilon']);
    if (typeof privacy['delta'] === 'number') facts.set('privacy.delta', privacy['delta']);
    const budget = privacy['budget'];
    if (isObject(budget) && typeof budget['epsilon'] === 'number') {
      facts.set('privacy.budgetEpsilon', budget['epsilon']);
    }
  }
  return facts;
}

export function roundTable(rounds: readonly StoredRound[]): RoundTable {
  const facts = rounds.map((r) => roundFacts(r.record));
  const columns: string[] = ['round'];
  for (const f of facts) for (const key of f.keys()) if (!columns.includes(key)) columns.push(key);
  return { columns, rows: facts.map((f) => columns.map((c) => f.get(c))) };
}

/** One column of the table (undefined where a round lacks it). */
export function column(table: RoundTable, name: string): (number | undefined)[] {
  const i = table.columns.indexOf(name);
  return table.rows.map((row) => (i < 0 ? undefined : row[i]));
}

/** RFC 4180 CSV: a header line and one line per round; missing values are empty, NaN is written NaN. */
export function roundTableCsv(table: RoundTable): string {
  const cell = (v: number | undefined) => (v === undefined ? '' : String(v));
  const quote = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return [table.columns.map(quote).join(','), ...table.rows.map((row) => row.map(cell).join(','))]
    .map((line) => `${line}\r\n`)
    .join('');
}

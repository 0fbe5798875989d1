/** The text of `flotilla runs compare` and `flotilla runs export` (runs.ts reads the database and picks one). */
import { FlotillaError } from '../../core/index.js';
import { formatDuration } from '../../telemetry/index.js';
import type { RunComparison } from '../../telemetry/tracking/compare.js';
import { roundTable, roundTableCsv } from '../../telemetry/tracking/round-table.js';
import type { RunInfo, StoredEvent, StoredRound } from '../../storage/index.js';
import { formatBytes, formatMetric, formatTable } from '../table.js';

const settingText = (v: unknown) => (v === undefined ? '-' : typeof v === 'string' ? v : JSON.stringify(v));

export function comparisonText(c: RunComparison): string {
  const ids = c.runs.map((r) => r.runId);
  const out = [
    formatTable(
      ['run', 'status', 'strategy', 'rounds', 'time', 'traffic'],
      c.runs.map((r) => [
        r.runId,
        r.status,
        r.strategy,
        String(r.rounds),
        formatDuration(r.totalMs),
        formatBytes(r.bytes),
      ]),
    ),
    '',
    c.settings.length === 0
      ? 'settings: all the same'
      : formatTable(
          ['setting', ...ids],
          c.settings.map((s) => [s.key, ...s.values.map(settingText)]),
        ),
  ];
  if (c.metrics.length > 0) {
    const cell = (m: RunComparison['metrics'][number]['runs'][number]) =>
      `${formatMetric(m.final)} / ${formatMetric(m.best)}${m.bestRound !== undefined ? ` (r${m.bestRound})` : ''}`;
    out.push(
      '',
      formatTable(
        ['metric (final / best)', ...ids],
        c.metrics.map((m) => [m.metric, ...m.runs.map(cell)]),
      ),
    );
  }
  if (c.targets.length > 0) {
    out.push(
      '',
      formatTable(
        ['rounds to target', ...ids],
        c.targets.map((t) => [
          t.target,
          ...t.rounds.map((r, i) =>
            t.columns[i] === undefined ? 'no such metric' : r === undefined ? 'not reached' : String(r),
          ),
        ]),
      ),
    );
  }
  return out.join('\n');
}

export type ExportFormat = 'json' | 'csv';

/** A run as JSON (its info, every round record and event) or as CSV (one row of numbers per round). */
export function exportRun(
  format: ExportFormat,
  run: RunInfo,
  rounds: readonly StoredRound[],
  events: readonly StoredEvent[],
): string {
  if (format === 'csv') return roundTableCsv(roundTable(rounds));
  if (format === 'json') {
    // Non-finite numbers (a NaN loss) become null in JSON; the CSV keeps them as NaN.
    return `${JSON.stringify({ format: 'flotilla-run-export', version: 1, run, rounds, events }, null, 2)}\n`;
  }
  throw new FlotillaError('INVALID_ARGUMENT', `--format must be json or csv, got "${String(format)}"`);
}

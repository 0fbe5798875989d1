/**
 * Comparing recorded runs (`flotilla runs compare`): the settings that differ, each metric's final and best value,
 * totals, and how many rounds each run took to reach a target such as accuracy >= 0.9. Works on what storage holds
 * (run info and round records), so simulated and deployed runs compare the same way.
 */
import { FlotillaError } from '../../core/index.js';
import type { RunInfo, StoredRound } from '../../storage/index.js';
import { column, roundTable, type RoundTable } from './round-table.js';

export interface RecordedRun {
  readonly run: RunInfo;
  readonly rounds: readonly StoredRound[];
}

/** A metric threshold: reached when the metric is >= value (or <= for losses and privacy spending). */
export interface Target {
  /** As the user wrote it, e.g. `accuracy`, `federated.aucRoc`. */
  readonly metric: string;
  readonly value: number;
}

export interface MetricSummary {
  readonly final?: number;
  readonly best?: number;
  readonly bestRound?: number;
}

export interface RunComparison {
  readonly runs: readonly {
    readonly runId: string;
    readonly status: string;
    readonly strategy: string;
    readonly rounds: number;
    readonly totalMs: number;
    readonly bytes: number;
  }[];
  /** Settings whose value is not the same in every run (absent is undefined). */
  readonly settings: readonly { readonly key: string; readonly values: readonly unknown[] }[];
  readonly metrics: readonly { readonly metric: string; readonly runs: readonly MetricSummary[] }[];
  readonly targets: readonly {
    readonly target: string;
    /** The column the target was read from, per run (e.g. server.accuracy). */
    readonly columns: readonly (string | undefined)[];
    /** First round that reached it, per run; undefined when never. */
    readonly rounds: readonly (number | undefined)[];
  }[];
}

/** Metrics summarised when any run has them, in this order. */
const METRICS = [
  'server.loss',
  'server.accuracy',
  'server.aucRoc',
  'server.aucPr',
  'server.f1',
  'federated.loss',
  'federated.accuracy',
  'federated.aucRoc',
  'federated.aucPr',
  'federated.worst10Accuracy',
  'train.loss',
  'train.accuracy',
  'privacy.epsilon',
];

/** Losses and privacy spending: lower is better. */
export const lowerIsBetter = (metric: string) => /(^|\.)loss$|epsilon$/i.test(metric);

/** `accuracy=0.9,federated.loss=0.3` into targets; a typed error naming the bad part otherwise. */
export function parseTargets(text: string | undefined): Target[] {
  if (text === undefined) return [];
  return text.split(',').map((part) => {
    const match = /^\s*([A-Za-z][\w.]*)\s*=\s*(\S+)\s*$/.exec(part);
    const value = match ? Number(match[2]) : NaN;
    if (!match || !Number.isFinite(value)) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `--target: "${part}" is not METRIC=NUMBER (e.g. accuracy=0.9 or federated.loss=0.3)`,
        { key: 'target' },
      );
    }
    return { metric: match[1]!, value };
  });
}

/** The column a metric name means in a run: as given when it names one, else server, federated, then train. */
export function resolveMetric(table: RoundTable, metric: string): string | undefined {
  if (table.columns.includes(metric)) return metric;
  return ['server.', 'federated.', 'train.']
    .map((prefix) => `${prefix}${metric}`)
    .find((c) => table.columns.includes(c));
}

function summarise(table: RoundTable, metric: string): MetricSummary {
  const values = column(table, metric);
  const rounds = column(table, 'round');
  let best: number | undefined;
  let bestRound: number | undefined;
  values.forEach((v, i) => {
    if (v === undefined || Number.isNaN(v)) return;
    if (best === undefined || (lowerIsBetter(metric) ? v < best : v > best)) {
      best = v;
      bestRound = rounds[i];
    }
  });
  const final = values.at(-1);
  return {
    ...(final !== undefined ? { final } : {}),
    ...(best !== undefined ? { best } : {}),
    ...(bestRound !== undefined ? { bestRound } : {}),
  };
}

function roundsTo(table: RoundTable, metric: string, value: number): number | undefined {
  const values = column(table, metric);
  const rounds = column(table, 'round');
  const i = values.findIndex((v) => v !== undefined && (lowerIsBetter(metric) ? v <= value : v >= value));
  return i < 0 ? undefined : rounds[i];
}

/** Nested settings as dotted keys; arrays and other leaves are kept as values. */
export function flattenSettings(value: unknown, prefix = '', into = new Map<string, unknown>()) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flattenSettings(v, prefix ? `${prefix}.${k}` : k, into);
  } else if (prefix) into.set(prefix, value);
  return into;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function compareRuns(runs: readonly RecordedRun[], targets: readonly Target[] = []): RunComparison {
  const tables = runs.map((r) => roundTable(r.rounds));
  const flat = runs.map((r) => flattenSettings({ strategy: r.run.strategy, ...asObject(r.run.config) }));
  const keys = [...new Set(flat.flatMap((f) => [...f.keys()]))].sort();
  const settings = keys
    .map((key) => ({ key, values: flat.map((f) => f.get(key)) }))
    .filter(({ values }) => values.some((v) => !same(v, values[0])));
  const present = METRICS.filter((m) => tables.some((t) => t.columns.includes(m)));
  const sum = (t: RoundTable, c: string) => column(t, c).reduce<number>((a, v) => a + (v ?? 0), 0);
  return {
    runs: runs.map((r, i) => ({
      runId: r.run.runId,
      status: r.run.status,
      strategy: r.run.strategy,
      rounds: r.run.lastRound,
      totalMs: sum(tables[i]!, 'durations.totalMs'),
      bytes: sum(tables[i]!, 'bytesSent') + sum(tables[i]!, 'bytesReceived'),
    })),
    settings,
    metrics: present.map((metric) => ({ metric, runs: tables.map((t) => summarise(t, metric)) })),
    targets: targets.map(({ metric, value }) => {
      const columns = tables.map((t) => resolveMetric(t, metric));
      const direction = lowerIsBetter(metric) ? '<=' : '>=';
      return {
        target: `${metric} ${direction} ${value}`,
        columns,
        rounds: tables.map((t, i) => (columns[i] ? roundsTo(t, columns[i], value) : undefined)),
      };
    }),
  };
}

function asObject(config: unknown): Record<string, unknown> {
  return config !== null && typeof config === 'object' && !Array.isArray(config)
    ? (config as Record<string, unknown>)
    : { config };
}

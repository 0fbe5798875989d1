/**
 * What a run report shows, taken from what storage holds about a run: its settings, the per-round curves (losses,
 * accuracy and AUCs, privacy spending, bytes, round time), the final model's diagnostics when the run recorded them
 * (simulations do: ROC, precision-recall, calibration, confusion matrix), a per-client table and the run's events.
 * Plain data; report-html.ts renders it.
 */
import type { RunInfo, StoredEvent, StoredRound } from '../../storage/index.js';
import { flattenSettings } from './compare.js';
import { column, roundTable } from './round-table.js';

export interface ChartSeries {
  readonly label: string;
  /** One value per x; null is a gap. */
  readonly values: readonly (number | null)[];
}

export interface ChartSpec {
  readonly id: string;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: readonly number[];
  readonly series: readonly ChartSeries[];
  /** Fixed range of both axes (probabilities, rates); default: fitted to the data. */
  readonly range?: readonly [number, number];
}

/** The diagnostics a simulation records (ml/diagnostics.ts), as the report reads them. */
export interface DiagnosticsView {
  readonly numExamples: number;
  readonly numClasses: number;
  readonly averaging: string;
  readonly roc: { readonly x: readonly number[]; readonly y: readonly number[] };
  readonly precisionRecall: { readonly x: readonly number[]; readonly y: readonly number[] };
  readonly calibration: readonly {
    readonly count: number;
    readonly meanPredicted: number | null;
    readonly observed: number | null;
  }[];
  readonly expectedCalibrationError: number | null;
  readonly confusion: readonly (readonly number[])[];
}

export interface ClientRow {
  readonly clientId: string;
  readonly selected: number;
  readonly participated: number;
  readonly fitResults?: number;
  readonly numExamples?: number;
  readonly meanFitMs?: number;
  /** Failures by cause. */
  readonly failures: Readonly<Record<string, number>>;
}

export interface ReportData {
  readonly run: {
    readonly runId: string;
    readonly status: string;
    readonly statusMessage?: string;
    readonly strategy: string;
    readonly rounds: number;
    readonly createdAt: string;
    readonly updatedAt: string;
  };
  readonly settings: readonly (readonly [string, string])[];
  /** Curves over rounds; charts without any value are left out. */
  readonly curves: readonly ChartSpec[];
  /** Present when the run recorded its final model's diagnostics. */
  readonly diagnostics?: {
    readonly round?: number;
    readonly charts: readonly ChartSpec[];
    readonly view: DiagnosticsView;
  };
  readonly clients: readonly ClientRow[];
  readonly events: readonly {
    readonly kind: string;
    readonly round?: number;
    readonly at: string;
    readonly data: string;
  }[];
}

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
const finite = (v: number | undefined | null) =>
  v === undefined || v === null || !Number.isFinite(v) ? null : v;

/** Curves over rounds: each chart keeps the series some round has a value for. */
function roundCharts(rounds: readonly StoredRound[]): ChartSpec[] {
  const table = roundTable(rounds);
  const x = column(table, 'round').map((r) => r ?? 0);
  const chart = (id: string, title: string, yLabel: string, series: [string, string][]): ChartSpec => ({
    id,
    title,
    xLabel: 'round',
    yLabel,
    x,
    series: series
      .map(([name, label]) => ({ label, values: column(table, name).map(finite) }))
      .filter((s) => s.values.some((v) => v !== null)),
  });
  return [
    chart('loss', 'Loss', 'loss', [
      ['train.loss', 'train'],
      ['server.loss', 'server evaluation'],
      ['federated.loss', 'federated evaluation'],
    ]),
    chart('scores', 'Accuracy and AUC', 'score', [
      ['server.accuracy', 'server accuracy'],
      ['server.aucRoc', 'server AUC-ROC'],
      ['server.aucPr', 'server AUC-PR'],
      ['federated.accuracy', 'federated accuracy'],
      ['federated.aucRoc', 'federated AUC-ROC'],
      ['federated.worst10Accuracy', 'worst 10% clients accuracy'],
      ['train.accuracy', 'train accuracy'],
    ]),
    chart('privacy', 'Privacy spending', 'epsilon', [
      ['privacy.epsilon', 'epsilon spent'],
      ['privacy.budgetEpsilon', 'budget'],
    ]),
    chart('bytes', 'Bytes per round', 'bytes', [
      ['bytesSent', 'sent'],
      ['bytesReceived', 'received'],
    ]),
    chart('time', 'Round time', 'ms', [
      ['durations.totalMs', 'total'],
      ['durations.fitMs', 'fit'],
      ['durations.aggregationMs', 'aggregation'],
      ['durations.evaluationMs', 'evaluation'],
    ]),
  ].filter((c) => c.series.length > 0);
}

const isNumbers = (v: unknown): v is number[] => Array.isArray(v) && v.every((n) => typeof n === 'number');

/** The recorded diagnostics, when they have the expected shape (stored JSON is not trusted blindly). */
function readDiagnostics(data: unknown): DiagnosticsView | undefined {
  const d = data as Partial<DiagnosticsView> | undefined;
  const curve = (c: unknown) => {
    const p = c as { x?: unknown; y?: unknown } | undefined;
    return isNumbers(p?.x) && isNumbers(p?.y) && p.x.length === p.y.length;
  };
  if (
    !d ||
    typeof d.numExamples !== 'number' ||
    typeof d.numClasses !== 'number' ||
    !curve(d.roc) ||
    !curve(d.precisionRecall) ||
    !Array.isArray(d.calibration) ||
    !Array.isArray(d.confusion) ||
    !d.confusion.every(isNumbers)
  ) {
    return undefined;
  }
  return d as DiagnosticsView;
}

function diagnosticCharts(d: DiagnosticsView): ChartSpec[] {
  const bins = d.calibration.filter((b) => b.count > 0 && finite(b.meanPredicted) !== null);
  const what = d.averaging === 'positive-class' ? 'positive class' : 'micro-averaged one-vs-rest';
  return [
    {
      id: 'roc',
      range: [0, 1],
      title: `ROC curve (${what})`,
      xLabel: 'false positive rate',
      yLabel: 'true positive rate',
      x: d.roc.x,
      series: [
        { label: 'model', values: d.roc.y.map(finite) },
        { label: 'chance', values: d.roc.x.map(finite) },
      ],
    },
    {
      id: 'pr',
      range: [0, 1],
      title: `Precision-recall curve (${what})`,
      xLabel: 'recall',
      yLabel: 'precision',
      x: d.precisionRecall.x,
      series: [{ label: 'model', values: d.precisionRecall.y.map(finite) }],
    },
    {
      id: 'calibration',
      range: [0, 1],
      title: `Calibration (${d.averaging === 'positive-class' ? 'probability of the positive class' : 'top-1 confidence'})`,
      xLabel: 'mean predicted probability',
      yLabel: 'observed frequency',
      x: bins.map((b) => b.meanPredicted!),
      series: [
        { label: 'model', values: bins.map((b) => finite(b.observed)) },
        { label: 'perfect', values: bins.map((b) => b.meanPredicted!) },
      ],
    },
  ];
}

/** Per-client rows from the round records, completed by the recorded per-client totals when present. */
function clientRows(rounds: readonly StoredRound[], events: readonly StoredEvent[]): ClientRow[] {
  const rows = new Map<
    string,
    { selected: number; participated: number; failures: Record<string, number> }
  >();
  const row = (id: string) => {
    let r = rows.get(id);
    if (!r) rows.set(id, (r = { selected: 0, participated: 0, failures: {} }));
    return r;
  };
  const fail = (f: unknown) => {
    const { clientId, cause } = (f ?? {}) as { clientId?: unknown; cause?: unknown };
    if (typeof clientId !== 'string') return;
    const key = typeof cause === 'string' ? cause : 'unknown';
    const failures = row(clientId).failures;
    failures[key] = (failures[key] ?? 0) + 1;
  };
  for (const { record } of rounds) {
    const r = record as {
      selected?: unknown;
      participants?: unknown;
      failures?: unknown;
      failedAttempts?: unknown;
    };
    if (Array.isArray(r.selected))
      for (const id of r.selected) if (typeof id === 'string') row(id).selected++;
    if (Array.isArray(r.participants))
      for (const id of r.participants) if (typeof id === 'string') row(id).participated++;
    if (Array.isArray(r.failures)) r.failures.forEach(fail);
    if (Array.isArray(r.failedAttempts)) {
      for (const a of r.failedAttempts) {
        const attempt = a as { failures?: unknown };
        if (Array.isArray(attempt.failures)) attempt.failures.forEach(fail);
      }
    }
  }
  const totals = new Map<string, { fitResults?: number; numExamples?: number; fitMs?: number }>();
  const recorded = events.filter((e) => e.kind === 'client-totals').at(-1)?.data;
  if (Array.isArray(recorded)) {
    for (const t of recorded as { clientId?: unknown }[]) {
      if (typeof t?.clientId === 'string') totals.set(t.clientId, t as never);
    }
  }
  return [...rows.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([clientId, r]) => {
      const t = totals.get(clientId);
      const fits = typeof t?.fitResults === 'number' ? t.fitResults : undefined;
      return {
        clientId,
        ...r,
        ...(fits !== undefined ? { fitResults: fits } : {}),
        ...(typeof t?.numExamples === 'number' ? { numExamples: t.numExamples } : {}),
        ...(fits && typeof t?.fitMs === 'number' ? { meanFitMs: t.fitMs / fits } : {}),
      };
    });
}

/** Events other than the report's own inputs, newest last, at most `limit`. */
function eventRows(events: readonly StoredEvent[], limit = 200): ReportData['events'] {
  return events
    .filter((e) => e.kind !== 'client-totals' && e.kind !== 'final-diagnostics')
    .slice(-limit)
    .map((e) => ({
      kind: e.kind,
      ...(e.round !== undefined ? { round: e.round } : {}),
      at: iso(e.at),
      data: JSON.stringify(e.data ?? null).slice(0, 300),
    }));
}

export function reportData(
  run: RunInfo,
  rounds: readonly StoredRound[],
  events: readonly StoredEvent[],
): ReportData {
  const recorded = events.filter((e) => e.kind === 'final-diagnostics').at(-1);
  const view = readDiagnostics(recorded?.data);
  const settings = [...flattenSettings({ strategy: run.strategy, ...(run.config as object) }).entries()].map(
    ([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)] as const,
  );
  return {
    run: {
      runId: run.runId,
      status: run.status,
      ...(run.statusMessage ? { statusMessage: run.statusMessage } : {}),
      strategy: run.strategy,
      rounds: run.lastRound,
      createdAt: iso(run.createdAt),
      updatedAt: iso(run.updatedAt),
    },
    settings,
    curves: roundCharts(rounds),
    ...(view
      ? {
          diagnostics: {
            ...(recorded?.round !== undefined ? { round: recorded.round } : {}),
            charts: diagnosticCharts(view),
            view,
          },
        }
      : {}),
    clients: clientRows(rounds, events),
    events: eventRows(events),
  };
}

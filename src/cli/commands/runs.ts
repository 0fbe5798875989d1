/**
 * `flotilla runs list | show RUN | compare RUN RUN... | export RUN`: the runs recorded in a database, a server's
 * (--db, --config) or the simulations' (default .flotilla/runs.db).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { FlotillaError } from '../../core/index.js';
import type { RunInfo, StoredEvent, StoredRound } from '../../storage/index.js';
import { SqliteStorage } from '../../storage/sqlite/index.js';
import { formatDuration } from '../../telemetry/index.js';
import { compareRuns, parseTargets, type RecordedRun } from '../../telemetry/tracking/compare.js';
import { z } from 'zod';
import { usageError, type Command } from '../command.js';
import { commandSettings, text } from '../settings/index.js';
import { formatMetric, formatTable } from '../table.js';
import { DB_SETTINGS, dbPathFrom } from './clients.js';
import { comparisonText, exportRun } from './runs-compare.js';

/** Where `simulate` records runs by default (its runsDb setting), and where `runs` and `report` look without --db. */
export const DEFAULT_RUNS_DB = '.flotilla/runs.db';

export const RUNS_SCHEMA = z.strictObject({
  ...DB_SETTINGS,
  json: z.boolean().default(false).meta({ description: 'print JSON' }),
  target: text().optional().meta({
    description:
      'compare: rounds each run took to reach METRIC=VALUE[,...] (e.g. accuracy=0.9; losses count down)',
  }),
  format: z.enum(['json', 'csv']).default('json').meta({ description: 'export: json or csv' }),
  out: text().optional().meta({ description: 'export: write to this file instead of stdout' }),
});
const RUNS_COMMAND = commandSettings(RUNS_SCHEMA);

/** The parts of an engine RoundRecord shown in a table; storage keeps the record as JSON. */
interface RecordView {
  readonly participants?: readonly string[];
  readonly selected?: readonly string[];
  readonly attempts?: number;
  readonly train?: { readonly metrics?: Record<string, number> };
  readonly federatedEvaluation?: { readonly loss: number; readonly metrics: Record<string, number> };
  readonly durations?: { readonly totalMs: number };
  readonly privacy?: {
    readonly mechanism: string;
    readonly epsilon: number;
    readonly delta: number;
    readonly budget?: { readonly epsilon: number };
  };
}

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

function listText(runs: readonly RunInfo[]): string {
  if (runs.length === 0) return 'no runs';
  return formatTable(
    ['run', 'status', 'rounds', 'strategy', 'created', 'updated'],
    runs.map((r) => [
      r.runId,
      r.status,
      String(r.lastRound),
      r.strategy,
      time(r.createdAt),
      time(r.updatedAt),
    ]),
  );
}

/** The privacy spent after the last committed round, as its record states it (DP runs only). */
function privacyLines(rounds: readonly StoredRound[]): string[] {
  const last = rounds.at(-1)?.record as RecordView | undefined;
  const p = last?.privacy;
  if (!p) return [];
  const budget = p.budget ? ` of ${p.budget.epsilon}` : '';
  return [`privacy   ${p.mechanism}: epsilon ${p.epsilon.toFixed(4)}${budget} at delta ${p.delta}`];
}

/** Events a simulation records for its report (sim/record.ts). */
const REPORT_EVENTS = new Set(['client-totals', 'final-diagnostics']);

function showText(run: RunInfo, rounds: readonly StoredRound[], events: readonly StoredEvent[]): string {
  const lines = [
    `run       ${run.runId} (${run.name})`,
    `status    ${run.status}${run.statusMessage ? `: ${run.statusMessage}` : ''}`,
    `strategy  ${run.strategy}`,
    `rounds    ${run.lastRound} committed`,
    ...privacyLines(rounds),
    `created   ${time(run.createdAt)}, updated ${time(run.updatedAt)}`,
  ];
  if (rounds.length > 0) {
    const rows = rounds.map(({ round, record }) => {
      const r = record as RecordView;
      return [
        String(round),
        `${r.participants?.length ?? 0}/${r.selected?.length ?? 0}`,
        String(r.attempts ?? 1),
        formatMetric(r.train?.metrics?.['loss']),
        formatMetric(r.federatedEvaluation?.loss),
        formatMetric(r.federatedEvaluation?.metrics['accuracy']),
        formatMetric(r.federatedEvaluation?.metrics['aucRoc']),
        r.durations ? formatDuration(r.durations.totalMs) : 'n/a',
      ];
    });
    lines.push(
      '',
      formatTable(
        // Federated evaluation: example-weighted means over the clients (the AUC a mean of per-client AUCs).
        [
          'round',
          'results',
          'attempts',
          'train loss',
          'client-mean loss',
          'client-mean acc',
          'client-mean AUC',
          'time',
        ],
        rows,
      ),
    );
  }
  if (events.length > 0) {
    lines.push('', 'events:');
    for (const e of events) {
      // What a report plots is too long for a line: say where to see it.
      const data = REPORT_EVENTS.has(e.kind) ? '(see flotilla report)' : JSON.stringify(e.data ?? null);
      lines.push(`  ${time(e.at)}  ${e.kind}${e.round !== undefined ? ` (round ${e.round})` : ''}  ${data}`);
    }
  }
  return lines.join('\n');
}

/** The database a command reads: --db, the server config's db, else the simulations' default. */
export function runsDbPath(db: string | undefined, config: string | undefined): string {
  if (db !== undefined || config !== undefined) return dbPathFrom(db, config);
  if (!existsSync(DEFAULT_RUNS_DB)) {
    throw new FlotillaError(
      'STORAGE_NOT_FOUND',
      `no runs recorded here: ${DEFAULT_RUNS_DB} does not exist (flotilla simulate records there; a server's runs: --db PATH)`,
    );
  }
  return DEFAULT_RUNS_DB;
}

const USAGE = 'usage: flotilla runs list | show RUN | compare RUN RUN... | export RUN';

function checkLine(sub: string | undefined, ids: readonly string[]): void {
  const ok =
    (sub === 'list' && ids.length === 0) ||
    ((sub === 'show' || sub === 'export') && ids.length === 1) ||
    (sub === 'compare' && ids.length >= 2);
  if (!ok) throw usageError(USAGE);
}

/**
 * `RUN@PATH` names a run in another database (a simulation next to a deployment's server.db); PATH must be an
 * existing file, otherwise the whole argument is a run id of the main database. Runs are named as written.
 */
async function loadAll(
  refs: readonly string[],
  main: SqliteStorage,
  load: (from: SqliteStorage, runId: string, where?: string) => Promise<RecordedRun>,
): Promise<RecordedRun[]> {
  const others = new Map<string, SqliteStorage>();
  try {
    const runs: RecordedRun[] = [];
    for (const ref of refs) {
      const at = ref.lastIndexOf('@');
      const path = at > 0 ? ref.slice(at + 1) : '';
      if (path === '' || !existsSync(path)) {
        runs.push(await load(main, ref));
        continue;
      }
      let other = others.get(path);
      if (!other) others.set(path, (other = SqliteStorage.open(path, { mustExist: true })));
      const found = await load(other, ref.slice(0, at), path);
      runs.push({ ...found, run: { ...found.run, runId: ref } });
    }
    return runs;
  } finally {
    for (const other of others.values()) await other.close();
  }
}

export const runsCommand: Command = {
  name: 'runs',
  summary:
    'list, show, compare and export recorded runs (a server database, or the one simulations record in)',
  help: () =>
    [
      'Usage: flotilla runs list | show RUN | compare RUN RUN... [--target accuracy=0.9] | export RUN [--format csv]',
      '       [--db PATH | --config server.yaml] [--json]',
      '',
      `Without --db or --config: the database simulations record in (${DEFAULT_RUNS_DB}).`,
      "compare also takes RUN@PATH: a run of another database (e.g. a deployment's server.db).",
      '',
      RUNS_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const { line, settings: v } = RUNS_COMMAND.read(args);
    const [sub, ...ids] = line.positionals;
    checkLine(sub, ids);
    const targets = parseTargets(v.target);
    const dbPath = runsDbPath(v.db, v.config);
    const storage = SqliteStorage.open(dbPath, { mustExist: true });
    const print = (value: unknown, text: string) =>
      process.stdout.write(v.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
    const load = async (from: SqliteStorage, runId: string, where = dbPath) => {
      const run = await from.getRun(runId);
      if (!run) {
        throw new FlotillaError(
          'STORAGE_NOT_FOUND',
          `no run "${runId}" in ${where} (see \`flotilla runs list --db ${where}\`)`,
        );
      }
      return { run, rounds: await from.rounds(run.runId) };
    };
    try {
      if (sub === 'list') {
        const runs = await storage.listRuns();
        print({ runs }, listText(runs));
      } else if (sub === 'compare') {
        const comparison = compareRuns(await loadAll(ids, storage, load), targets);
        print(comparison, comparisonText(comparison));
      } else {
        const { run, rounds } = await load(storage, ids[0]!);
        const events = await storage.events(run.runId);
        if (sub === 'show') print({ run, rounds, events }, showText(run, rounds, events));
        else {
          const text = exportRun(v.format, run, rounds, events);
          if (v.out) writeFileSync(v.out, text);
          else process.stdout.write(text);
        }
      }
      return 0;
    } finally {
      await storage.close();
    }
  },
};

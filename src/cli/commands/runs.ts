/** `flotilla runs list | show RUN (--db PATH | --config server.yaml) [--json]`: the runs a server has recorded. */
import { FlotillaError } from '../../core/index.js';
import type { RunInfo, StoredEvent, StoredRound } from '../../storage/index.js';
import { SqliteStorage } from '../../storage/sqlite/index.js';
import { formatDuration } from '../../telemetry/index.js';
import { z } from 'zod';
import { usageError, type Command } from '../command.js';
import { commandSettings } from '../settings/index.js';
import { formatMetric, formatTable } from '../table.js';
import { DB_SETTINGS, dbPathFrom } from './clients.js';

export const RUNS_SCHEMA = z.strictObject({
  ...DB_SETTINGS,
  json: z.boolean().default(false).meta({ description: 'print JSON' }),
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
      lines.push(
        `  ${time(e.at)}  ${e.kind}${e.round !== undefined ? ` (round ${e.round})` : ''}  ${JSON.stringify(e.data ?? null)}`,
      );
    }
  }
  return lines.join('\n');
}

export const runsCommand: Command = {
  name: 'runs',
  summary: 'list the runs in a server database, or show one with its rounds',
  help: () =>
    [
      'Usage: flotilla runs list | show RUN  (--db PATH | --config server.yaml) [--json]',
      '',
      RUNS_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const { line, settings: v } = RUNS_COMMAND.read(args);
    const [sub, runId, ...extra] = line.positionals;
    if (extra.length > 0 || !(sub === 'list' ? runId === undefined : sub === 'show' && runId)) {
      throw usageError('usage: flotilla runs list | show RUN');
    }
    const storage = SqliteStorage.open(dbPathFrom(v.db, v.config), { mustExist: true });
    const print = (value: unknown, text: string) =>
      process.stdout.write(v.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
    try {
      if (sub === 'list') {
        const runs = await storage.listRuns();
        print({ runs }, listText(runs));
        return 0;
      }
      const run = await storage.getRun(runId!);
      if (!run)
        throw new FlotillaError('STORAGE_NOT_FOUND', `no run "${runId}" (see \`flotilla runs list\`)`);
      const rounds = await storage.rounds(run.runId);
      const events = await storage.events(run.runId);
      print({ run, rounds, events }, showText(run, rounds, events));
      return 0;
    } finally {
      await storage.close();
    }
  },
};

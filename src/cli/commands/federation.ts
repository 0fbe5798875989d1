/**
 * `flotilla federation [CONFIG]`: the default federation over the network. It reads the same config as
 * `flotilla simulate`, writes each party's rows to its own files, then runs a `flotilla server` and one
 * `flotilla client` per party as separate processes on 127.0.0.1 over TLS, shows the rounds as the server commits
 * them, and ends with the federated model next to central and local-only baselines. `npm start` runs it.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { FlotillaError } from '../../core/index.js';
import { federationReport } from '../../federation/report.js';
import { runFederation } from '../../federation/run.js';
import type { RoundRecordJson, StoredRound } from '../../storage/index.js';
import { formatDuration, remainingMs } from '../../telemetry/index.js';
import type { Command } from '../command.js';
import { refuseSimulatedAttacks } from '../attack-options.js';
import { datasetOf, resolveRunConfig } from '../run-config.js';
import { SERVER_IGNORED_KEYS } from '../server-input.js';
import { commandSettings, flagName, text } from '../settings/index.js';
import { readRunCommand } from '../settings/run-command.js';
import { ATTACK_SETTINGS, CKKS_SETTINGS, RUN_SETTINGS, type RunSettings } from '../settings/run-settings.js';
import { formatMetric } from '../table.js';
import { accuracyText, baselineProgress, formatComparison } from '../report-format.js';

/** The federation's own setting; everything else is a run setting, as in `flotilla simulate`. */
export const FEDERATION_ONLY_SETTINGS = {
  dir: text().default('.flotilla/federation').meta({
    description: 'working folder: certificates, the server database, the files of each party',
  }),
};

export const FEDERATION_SCHEMA = z
  .strictObject({ ...FEDERATION_ONLY_SETTINGS, ...RUN_SETTINGS })
  .meta({ title: 'Flotilla federation config' });

const FEDERATION_COMMAND = commandSettings(FEDERATION_SCHEMA);
/** The README documents only the federation's own key; the rest are the run settings of simulate. */
export const FEDERATION_OPTIONS_SCHEMA = z.strictObject(FEDERATION_ONLY_SETTINGS);

function checkSupported(v: RunSettings, given: ReadonlySet<string>): void {
  refuseSimulatedAttacks(v, given, 'a federation');
  const dataset = datasetOf(v);
  if (dataset !== 'stroke' && dataset !== 'csv') {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `federation runs tabular data (dataset stroke or csv), not "${dataset}"`,
      {
        key: 'dataset',
      },
    );
  }
}

/**
 * Key material the run's clients need, made before the server starts with the `flotilla` commands an operator would
 * run: a shared CKKS key (never given to the server) and each party's identity key with the roster of all of them.
 */
function setupCommands(v: RunSettings, parties: readonly string[], keysDir: string): string[][] {
  const commands: string[][] = [];
  const he = v.homomorphicAggregation;
  if (he) {
    const ckks = (Object.keys(CKKS_SETTINGS) as (keyof typeof CKKS_SETTINGS)[]).flatMap((key) =>
      he[key] === undefined ? [] : [`--${flagName(key)}`, String(he[key])],
    );
    commands.push(['he', 'keygen', '--out', join(keysDir, 'he.keys'), ...ckks]);
  }
  if (v.secureAggregation?.signed) {
    for (const id of parties) {
      commands.push([
        'identity',
        'keygen',
        '--id',
        id,
        '--out',
        join(keysDir, `${id}.identity`),
        '--roster',
        join(keysDir, 'roster.json'),
      ]);
    }
  }
  return commands;
}

/** Each party's own flags: its key files, and under local DP or DP-SGD its own budget (the run's, as simulated). */
function clientFlags(v: RunSettings, party: string, keysDir: string): string[] {
  const flags: string[] = [];
  if (v.homomorphicAggregation) flags.push('--he-keys', join(keysDir, 'he.keys'));
  if (v.secureAggregation?.signed) {
    flags.push('--identity', join(keysDir, `${party}.identity`), '--roster', join(keysDir, 'roster.json'));
  }
  if ((v.dp === 'local' || v.dp === 'dp-sgd') && v.targetEpsilon !== undefined) {
    flags.push('--target-epsilon', String(v.targetEpsilon), '--target-delta', String(v.targetDelta));
  }
  return flags;
}

/**
 * The server's config for the run: the run settings as they are (a server reads them exactly as a simulation does),
 * without those a server ignores (the simulated split, the simulation's machinery) or refuses (attacks).
 */
function serverKeys(v: RunSettings, evaluateEvery: number): Record<string, unknown> {
  const dropped = new Set([...SERVER_IGNORED_KEYS, ...Object.keys(ATTACK_SETTINGS)]);
  const passed = Object.entries(v).filter(
    ([key, value]) => key in RUN_SETTINGS && value !== undefined && !dropped.has(key),
  );
  // Every party trains every round it is selected for, as in the simulation of the same config: a round whose party
  // is restarting waits for it rather than running without it.
  return { ...Object.fromEntries(passed), evaluateEvery, waitForAllClients: true };
}

/**
 * "round  3/30  3/3 parties  train loss 0.23  mean of parties' held-out: loss 0.22 acc 0.9366 (majority 0.9366: no
 * better) AUC 0.6612  192ms  eta 5.2s". The held-out numbers are example-weighted means of each party's own
 * evaluation (its AUC a mean of per-party AUCs), named so beside the report's pooled AUC.
 */
export function roundLine(stored: StoredRound, rounds: number, eta: number): string {
  const r = stored.record as RoundRecordJson & {
    participants: string[];
    selected: string[];
    train: { metrics: Record<string, number> };
    federatedEvaluation?: { loss: number; metrics: Record<string, number> };
    durations: { totalMs: number };
  };
  const evaluation = r.federatedEvaluation;
  const held = evaluation
    ? `  mean of parties' held-out: loss ${formatMetric(evaluation.loss)} acc ${accuracyText(evaluation.metrics)} AUC ${formatMetric(evaluation.metrics['aucRoc'])}`
    : '';
  return `round ${String(r.round).padStart(String(rounds).length)}/${rounds}  ${r.participants.length}/${r.selected.length} parties  train loss ${formatMetric(r.train.metrics['loss'])}${held}  ${formatDuration(r.durations.totalMs)}  eta ${formatDuration(eta)}`;
}

export const federationCommand: Command = {
  name: 'federation',
  summary: 'run a server and one client process per party on this machine over TLS, then report',
  help: () =>
    [
      'Usage: flotilla federation [CONFIG_FILE] [--dir DIR] [options of flotilla simulate]',
      '',
      'CONFIG_FILE is a `flotilla simulate` config (e.g. examples/hospitals/config.yaml) with tabular data.',
      'Certificates are created in DIR on the first run; every run is recorded in DIR/server.db',
      '(`flotilla runs list --db DIR/server.db`).',
      '',
      'Options (the run settings are those of `flotilla simulate`; a simulate config file runs here unchanged):',
      FEDERATION_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const { settings: v, given } = readRunCommand(FEDERATION_COMMAND, args, 'federation');
    checkSupported(v, given);
    const config = resolveRunConfig(v, { serverFit: false });
    const dir = resolve(v.dir);
    const say = (text: string) => process.stderr.write(`${text}\n`);

    const abort = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      say(`\n${signal}: stopping the server and the clients`);
      abort.abort(new FlotillaError('INVALID_ARGUMENT', `stopped by ${signal}`));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const started = performance.now();
    // The ETA is paced by the rounds' own durations (as the server recorded them), so the start-up (certificates,
    // processes, connections) does not inflate it, and a resumed run's earlier rounds do not count.
    let roundsShown = 0;
    let roundTimeMs = 0;
    const showRound = (r: StoredRound) => {
      roundsShown++;
      roundTimeMs += (r.record as { durations?: { totalMs?: number } }).durations?.totalMs ?? 0;
      say(
        roundLine(
          r,
          config.engine.rounds,
          remainingMs(roundTimeMs, roundsShown, config.engine.rounds - r.round),
        ),
      );
    };
    let outcome;
    try {
      outcome = await runFederation(
        {
          dir,
          scenario: config.scenario,
          server: serverKeys(v, config.engine.evaluateEvery ?? 0),
          setup: (keysDir, parties) => setupCommands(v, parties, keysDir),
          clientArgs: (party, keysDir) => clientFlags(v, party, keysDir),
          signal: abort.signal,
        },
        { log: say, round: showRound },
      );
    } catch (error) {
      if (!abort.signal.aborted) throw error;
      outcome = undefined;
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    if (outcome?.status !== 'completed') {
      say('stopped; every process this command started has exited');
      return 130;
    }
    say(
      `run ${outcome.runId}: ${outcome.lastRound} rounds in ${formatDuration(performance.now() - started)}; all processes stopped`,
    );
    if (config.compare) {
      say('training the central and local-only baselines...');
      const report = await federationReport({
        scenario: config.scenario,
        db: outcome.workspace.db,
        runId: outcome.runId,
        fit: config.fit,
        fraction: v.fraction,
        onModel: baselineProgress(say),
      });
      process.stdout.write(`\n${formatComparison(report)}\n`);
    }
    process.stdout.write(
      `\nRun ${outcome.runId} is recorded in ${outcome.workspace.db} (flotilla runs show ${outcome.runId} --db ${outcome.workspace.db}).\n`,
    );
    return 0;
  },
};

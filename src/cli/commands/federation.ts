/**
 * `flotilla federation [CONFIG]`: the default federation over the network. It reads the same config as
 * `flotilla simulate`, writes each party's rows to its own files, then runs a `flotilla server` and one
 * `flotilla client` per party as separate processes on 127.0.0.1 over TLS, shows the rounds as the server commits
 * them, and ends with the federated model next to central and local-only baselines. `npm start` runs it.
 */
import { join, resolve } from 'node:path';
import { FlotillaError } from '../../core/index.js';
import { federationReport } from '../../federation/report.js';
import { runFederation } from '../../federation/run.js';
import type { RoundRecordJson, StoredRound } from '../../storage/index.js';
import { formatDuration } from '../../telemetry/index.js';
import { AVAILABILITY_OPTIONS } from '../availability-options.js';
import type { Command } from '../command.js';
import { loadConfigFile } from '../config-file.js';
import { CKKS_OPTIONS, HOMOMORPHIC_KEY, HOMOMORPHIC_OPTIONS } from '../homomorphic-options.js';
import {
  flagName,
  formatOptionHelp,
  groupEnabled,
  mergeOptions,
  parseFlags,
  usageError,
  type OptionSpec,
  type OptionValues,
} from '../options.js';
import { PRIVACY_OPTIONS } from '../privacy-options.js';
import { resolveRunConfig } from '../run-config.js';
import { SECURE_AGGREGATION_OPTIONS } from '../secure-aggregation-options.js';
import { SIMULATE_OPTIONS } from '../simulate-options.js';
import { STRATEGY_OPTIONS } from '../strategy-options.js';
import { UPDATE_BOUND_OPTIONS } from '../update-bounds-options.js';
import { formatMetric } from '../table.js';
import { formatComparison } from './simulate.js';

export const FEDERATION_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'dir',
    type: 'string',
    default: '.flotilla/federation',
    description: 'working folder: certificates, the server database, the files of each party',
  },
];

/**
 * Simulation keys a federation passes to its server as they are: the strategy and its parameters, the bounds on
 * client updates, differential privacy, secure aggregation and homomorphic aggregation (those tables are shared by `simulate` and `server`).
 */
const PASSED_TO_SERVER: readonly OptionSpec[] = [
  ...STRATEGY_OPTIONS,
  ...UPDATE_BOUND_OPTIONS,
  ...PRIVACY_OPTIONS,
  ...SECURE_AGGREGATION_OPTIONS,
  ...HOMOMORPHIC_OPTIONS,
];

/** Keys a federation reads itself: the data, the parties, rounds and local training (see serverKeys). */
const HONOURED = new Set([
  'dataset',
  'dataPath',
  'schema',
  'cohorts',
  'trainLimit',
  'testFraction',
  'partition',
  'alpha',
  'minPartitionSize',
  'shardsPerClient',
  'skewExponent',
  'partitionAttribute',
  'clients',
  'fraction',
  'minResults',
  'deadline',
  ...AVAILABILITY_OPTIONS.map((o) => o.key),
  'rounds',
  'localEpochs',
  'batchSize',
  'learningRate',
  'optimizer',
  'momentum',
  'model',
  'evaluateEvery',
  'compare',
  'seed',
  ...PASSED_TO_SERVER.map((o) => o.key),
]);
/** How a simulation runs on this machine (threads, backend, its output files): no meaning for processes. */
const SIMULATION_ONLY = new Set(['workers', 'backend', 'output', 'saveModel', 'epochs']);

function checkSupported(values: OptionValues): void {
  for (const spec of SIMULATE_OPTIONS) {
    if (HONOURED.has(spec.key) || SIMULATION_ONLY.has(spec.key)) continue;
    const value = values[spec.key];
    if (value !== undefined && value !== spec.default) {
      // What is left are the simulated attacks: a real federation's parties are its own processes.
      throw new FlotillaError(
        'CONFIG_INVALID',
        `"${spec.key}" simulates attackers, which only \`flotilla simulate\` does; remove it to run a federation`,
        { key: spec.key },
      );
    }
  }
  if (values.dataset !== 'stroke' && values.dataset !== 'csv') {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `federation runs tabular data (dataset stroke or csv), not "${String(values.dataset)}"`,
      { key: 'dataset' },
    );
  }
}

/**
 * Key material the run's clients need, made before the server starts with the `flotilla` commands an operator would
 * run: a shared CKKS key (never given to the server) and each party's identity key with the roster of all of them.
 */
function setupCommands(v: OptionValues, parties: readonly string[], keysDir: string): string[][] {
  const commands: string[][] = [];
  if (groupEnabled(v, HOMOMORPHIC_KEY)) {
    const ckks = CKKS_OPTIONS.flatMap(({ key }) => {
      const value = v[`${HOMOMORPHIC_KEY}.${key}`];
      return value === undefined ? [] : [`--${flagName(key)}`, String(value)];
    });
    commands.push(['he', 'keygen', '--out', join(keysDir, 'he.keys'), ...ckks]);
  }
  if (v['secureAggregation.signed'] === true) {
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
function clientFlags(v: OptionValues, party: string, keysDir: string): string[] {
  const flags: string[] = [];
  if (groupEnabled(v, HOMOMORPHIC_KEY)) flags.push('--he-keys', join(keysDir, 'he.keys'));
  if (v['secureAggregation.signed'] === true) {
    flags.push('--identity', join(keysDir, `${party}.identity`), '--roster', join(keysDir, 'roster.json'));
  }
  if ((v.dp === 'local' || v.dp === 'dp-sgd') && v.targetEpsilon !== undefined) {
    flags.push('--target-epsilon', String(v.targetEpsilon), '--target-delta', String(v.targetDelta));
  }
  return flags;
}

/** The server's config keys for the run described by simulation options. */
function serverKeys(
  v: OptionValues,
  clients: number,
  evaluateEvery: number,
): Record<string, string | number | boolean> {
  const fraction = v.fraction as number;
  const minResults = v.minResults as number;
  if (minResults === 1 && fraction < 1) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      'federation needs "minResults" below 1 when "fraction" is below 1 (the server counts results per selection)',
      { key: 'minResults' },
    );
  }
  const passed: Record<string, string | number | boolean> = {};
  for (const { key } of PASSED_TO_SERVER) if (v[key] !== undefined) passed[key] = v[key];
  return {
    model: v.model as string,
    modelSeed: v.seed as number,
    seed: v.seed as number,
    rounds: v.rounds as number,
    fractionFit: fraction,
    // "Every selected party" is a count on the server; with fraction 1 every party is selected.
    minResults: minResults === 1 ? clients : minResults,
    fitDeadlineMs: Math.round((v.deadline as number) * 1000),
    clientWaitTimeout: v.clientWaitTimeout as number,
    retryBackoff: v.retryBackoff as number,
    retryBackoffMax: v.retryBackoffMax as number,
    evaluateEvery,
    localEpochs: v.localEpochs as number,
    batchSize: v.batchSize as number,
    learningRate: v.learningRate as number,
    optimizer: v.optimizer as string,
    momentum: v.momentum as number,
    ...passed,
  };
}

function roundLine(stored: StoredRound, rounds: number): string {
  const r = stored.record as RoundRecordJson & {
    participants: string[];
    selected: string[];
    train: { metrics: Record<string, number> };
    federatedEvaluation?: { loss: number; metrics: Record<string, number> };
    durations: { totalMs: number };
  };
  const evaluation = r.federatedEvaluation;
  const held = evaluation
    ? `  held-out loss ${formatMetric(evaluation.loss)} acc ${formatMetric(evaluation.metrics['accuracy'])} AUC ${formatMetric(evaluation.metrics['aucRoc'])}`
    : '';
  return `round ${String(r.round).padStart(String(rounds).length)}/${rounds}  ${r.participants.length}/${r.selected.length} parties  train loss ${formatMetric(r.train.metrics['loss'])}${held}  ${formatDuration(r.durations.totalMs)}`;
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
      'Options:',
      formatOptionHelp(FEDERATION_OPTIONS),
      '  ...and the keys of `flotilla simulate --help` that describe data, rounds, local training and the strategy.',
    ].join('\n'),
  async run(args) {
    const specs = [...FEDERATION_OPTIONS, ...SIMULATE_OPTIONS];
    const { positionals, values } = parseFlags(specs, args);
    if (positionals.length > 1)
      throw usageError(`federation takes at most one config file, got ${positionals.join(' ')}`);
    const file = positionals[0] ? loadConfigFile(positionals[0], SIMULATE_OPTIONS) : {};
    const v = mergeOptions(specs, file, values);
    checkSupported(v);
    const config = resolveRunConfig(v, { serverFit: false });
    const dir = resolve(v.dir as string);
    const say = (text: string) => process.stderr.write(`${text}\n`);

    const abort = new AbortController();
    const onSignal = (signal: NodeJS.Signals) => {
      say(`\n${signal}: stopping the server and the clients`);
      abort.abort(new FlotillaError('INVALID_ARGUMENT', `stopped by ${signal}`));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const started = performance.now();
    let outcome;
    try {
      outcome = await runFederation(
        {
          dir,
          scenario: config.scenario,
          server: serverKeys(v, v.clients as number, config.engine.evaluateEvery ?? 0),
          setup: (keysDir, parties) => setupCommands(v, parties, keysDir),
          clientArgs: (party, keysDir) => clientFlags(v, party, keysDir),
          signal: abort.signal,
        },
        { log: say, round: (r) => say(roundLine(r, config.engine.rounds)) },
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
        fraction: v.fraction as number,
      });
      process.stdout.write(`\n${formatComparison(report)}\n`);
    }
    process.stdout.write(
      `\nRun ${outcome.runId} is recorded in ${outcome.workspace.db} (flotilla runs show ${outcome.runId} --db ${outcome.workspace.db}).\n`,
    );
    return 0;
  },
};

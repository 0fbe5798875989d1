/**
 * `flotilla federation [CONFIG]`: the default federation over the network. It reads the same config as
 * `flotilla simulate`, writes each party's rows to its own files, then runs a `flotilla server` and one
 * `flotilla client` per party as separate processes on 127.0.0.1 over TLS, shows the rounds as the server commits
 * them, and ends with the federated model next to central and local-only baselines. `npm start` runs it.
 */
import { resolve } from 'node:path';
import { FlotillaError } from '../../core/index.js';
import { federationReport } from '../../federation/report.js';
import { runFederation } from '../../federation/run.js';
import type { RoundRecordJson, StoredRound } from '../../storage/index.js';
import { formatDuration } from '../../telemetry/index.js';
import { AVAILABILITY_OPTIONS } from '../availability-options.js';
import type { Command } from '../command.js';
import { loadConfigFile } from '../config-file.js';
import {
  formatOptionHelp,
  mergeOptions,
  parseFlags,
  usageError,
  type OptionSpec,
  type OptionValues,
} from '../options.js';
import { resolveRunConfig } from '../run-config.js';
import { SIMULATE_OPTIONS } from '../simulate-options.js';
import { STRATEGY_OPTIONS } from '../strategy-options.js';
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
 * Simulation keys a federation honours. The rest describe how a simulation runs (threads, backend) and are ignored,
 * or features the server does not run yet, which are refused when set rather than silently dropped.
 */
const HONOURED = new Set([
  'dataset',
  'dataPath',
  'schema',
  'cohorts',
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
  ...STRATEGY_OPTIONS.map((o) => o.key),
]);
const SIMULATION_ONLY = new Set(['workers', 'backend']);

function checkSupported(values: OptionValues): void {
  for (const spec of SIMULATE_OPTIONS) {
    if (HONOURED.has(spec.key) || SIMULATION_ONLY.has(spec.key)) continue;
    const value = values[spec.key];
    if (value !== undefined && value !== spec.default) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `federation does not run "${spec.key}" yet; use \`flotilla simulate\` for it`,
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
  const strategy: Record<string, string | number | boolean> = {};
  for (const { key } of STRATEGY_OPTIONS) if (v[key] !== undefined) strategy[key] = v[key];
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
    ...strategy,
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
    const config = resolveRunConfig(v);
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

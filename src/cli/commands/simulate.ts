/**
 * `flotilla simulate [CONFIG] [flags]`: runs a federation of virtual clients on this machine with the same engine,
 * codec and client runtime as a deployment; shows live progress, ends with a summary (and, with --compare, the
 * federated model next to central and local-only baselines), and can write the whole history as JSON.
 */
import { writeFileSync } from 'node:fs';
import type { ParameterSet } from '../../core/index.js';
import type { RoundRecord } from '../../engine/index.js';
import { encodeParameters } from '../../protocol/index.js';
import { diagnoseModel } from '../../ml/index.js';
import { RunRecording } from '../../sim/record.js';
import { compareWithBaselines, equivalentEpochs, pooledSummary } from '../../sim/report.js';
import { simulate } from '../../sim/simulate.js';
import { HistoryRecorder, ProgressRenderer, formatDuration } from '../../telemetry/index.js';
import type { Command } from '../command.js';
import { resolveRunConfig, type RunConfig } from '../run-config.js';
import { commandSettings } from '../settings/index.js';
import { readRunCommand } from '../settings/run-command.js';
import { RUN_SCHEMA, type RunSettings } from '../settings/run-settings.js';
import {
  accuracyText,
  baselineProgress,
  formatComparison,
  positivesText,
  withInterval,
} from '../report-format.js';
import { formatBytes, formatMetric, formatTable } from '../table.js';
import { workerCount } from '../workers.js';

/** `simulate` and `train-central` read the run settings and nothing else. */
export const RUN_COMMAND = commandSettings(RUN_SCHEMA);

/** Reads the config file named on the command line (if any), then applies flags over it. */
export function readRunOptions(args: readonly string[], command: string) {
  return readRunCommand(RUN_COMMAND, args, command).settings;
}

/** An accuracy cell, marked when it does not beat the majority class on the same rows. */
function markedAccuracy(metrics: Readonly<Record<string, number>> | undefined): string {
  const accuracy = metrics?.['accuracy'];
  const majority = metrics?.['majorityAccuracy'];
  const cell = formatMetric(accuracy);
  return accuracy !== undefined && majority !== undefined && !(accuracy > majority)
    ? `${cell} no better`
    : cell;
}

function roundRows(history: readonly RoundRecord[]): string[][] {
  // Long runs: show the first rounds, every k-th, and the last, so the table stays readable.
  const step = history.length <= 30 ? 1 : Math.ceil(history.length / 20);
  return history
    .filter((r, i) => i % step === 0 || i === history.length - 1)
    .map((r) => {
      const evaluation = r.serverEvaluation;
      const fed = r.federatedEvaluation;
      return [
        String(r.round),
        `${r.participants.length}/${r.selected.length}`,
        formatMetric(r.train.metrics['loss']),
        formatMetric(evaluation?.loss),
        markedAccuracy(evaluation?.metrics),
        formatMetric(evaluation?.metrics['aucRoc']),
        markedAccuracy(fed?.metrics),
        formatMetric(fed?.accuracySpread?.worst10Mean),
        formatDuration(r.durations.totalMs),
        formatBytes(r.bytesSent + r.bytesReceived),
      ];
    });
}

function dropEmptyColumns(header: string[], rows: string[][]): [string[], string[][]] {
  const keep = header.map((_, c) => rows.some((r) => r[c] !== 'n/a'));
  return [header.filter((_, c) => keep[c]), rows.map((r) => r.filter((_, c) => keep[c]))];
}

/**
 * "Final model (round 30): test accuracy 0.9382 (majority 0.9366), AUC-ROC 0.8458 [0.803, 0.886], ... on the 1278
 * pooled held-out examples (81 positives, 6.3%)": binary models are rescored to give their AUCs' intervals.
 */
async function finalModelLine(
  outcome: Awaited<ReturnType<typeof simulate>>,
  round: number,
  seed: number,
): Promise<string> {
  const { result, prepared, model } = outcome;
  const last = result.history.at(-1)!.serverEvaluation!;
  if (last.metrics['aucRoc'] === undefined) {
    return `Final model (round ${round}): test accuracy ${accuracyText(last.metrics)} on ${last.numExamples} pooled held-out examples`;
  }
  const pooled = await pooledSummary(model, result.params, prepared, seed);
  const m = pooled.output.metrics;
  const level = `${Math.round(pooled.bootstrap.level * 100)}%`;
  return (
    `Final model (round ${round}): test accuracy ${accuracyText(m)}, AUC-ROC ${withInterval(m['aucRoc'], pooled.aucRocInterval)}, ` +
    `AUC-PR ${withInterval(m['aucPr'], pooled.aucPrInterval)}, F1 ${formatMetric(m['f1'])} on the ${pooled.output.numExamples} ` +
    `pooled held-out examples, ${positivesText(pooled.testSet)} positive (${level} intervals, ${pooled.bootstrap.resamples} bootstrap resamples)`
  );
}

/** The settings stored with a recorded simulation: what `flotilla runs compare` diffs (where it writes is left out). */
function recordedSettings(options: RunSettings): Record<string, unknown> {
  const {
    record: _record,
    runsDb: _runsDb,
    runId: _runId,
    output: _output,
    saveModel: _save,
    ...rest
  } = options;
  return rest;
}

function openRecording(
  options: RunSettings,
  config: RunConfig,
  initialParams: ParameterSet,
): Promise<RunRecording> {
  return RunRecording.open({
    dbPath: options.runsDb,
    ...(options.runId ? { runId: options.runId } : {}),
    strategy: config.strategy.name,
    config: {
      command: 'simulate',
      settings: {
        ...recordedSettings(options),
        dataset: config.scenario.dataset,
        model: config.scenario.model,
      },
    },
    initialParams,
  });
}

/** How the run ended, and the final model's diagnostics on the pooled test rows (for `flotilla report`). */
async function finishRecording(
  recording: RunRecording,
  outcome: Awaited<ReturnType<typeof simulate>>,
): Promise<void> {
  const { result, model, prepared } = outcome;
  const diagnostics =
    result.lastRound >= 1 && prepared.serverTest.size > 0
      ? await diagnoseModel(model, result.params, prepared.serverTest)
      : undefined;
  await recording.finish({ result }, diagnostics);
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'run a federation of virtual clients on this machine',
  help: () =>
    [
      'Usage: flotilla simulate [CONFIG_FILE] [options]',
      '',
      'CONFIG_FILE is YAML or JSON with any of the keys below (camelCase); flags override it.',
      '',
      'Options:',
      RUN_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const options = readRunOptions(args, 'simulate');
    const config = resolveRunConfig(options);
    const { workers, notice } = workerCount(config.workers, config.scenario.clients);
    if (notice) process.stderr.write(`${notice}\n`);
    const recorder = new HistoryRecorder({ command: 'simulate', options });
    const progress = new ProgressRenderer(process.stderr);
    const abort = new AbortController();
    const onSignal = () => {
      process.stderr.write('\nstopping after the current round (Ctrl-C again to quit now)\n');
      process.off('SIGINT', onSignal);
      abort.abort();
    };
    process.on('SIGINT', onSignal);
    let outcome;
    let recording: RunRecording | undefined;
    try {
      outcome = await simulate({
        scenario: config.scenario,
        backend: config.backend,
        workers,
        engine: config.engine,
        strategy: config.strategy,
        ...(config.attack ? { attack: config.attack } : {}),
        rootSize: config.rootSize,
        ...(config.privacy ? { privacy: config.privacy } : {}),
        signal: abort.signal,
        ...(options.record
          ? {
              committer: async (initialParams) => {
                recording = await openRecording(options, config, initialParams);
                return recording.committer;
              },
            }
          : {}),
        subscribe: (events) => {
          recorder.attach(events);
          progress.attach(events);
          recording?.attach(events);
        },
      });
      if (recording) await finishRecording(recording, outcome);
    } catch (error) {
      await recording?.finish({ error }).catch(() => undefined);
      throw error;
    } finally {
      process.off('SIGINT', onSignal);
      await recording?.close();
      if (config.output) writeFileSync(config.output, `${recorder.json()}\n`);
    }
    const { result, prepared } = outcome;
    // The attack and the seeded attackers go into the history next to the rounds they shaped.
    const attackRecord = config.attack ? { attack: { ...config.attack, attackers: outcome.attackers } } : {};
    const stats = prepared.partitionStats.summary;
    const out: string[] = [
      '',
      `Federation: ${prepared.clients.length} clients (${stats.minSize}-${stats.maxSize} examples each, mean label skew ${stats.meanLabelTv.toFixed(3)} TV), ${config.strategy.name}, ${outcome.backend} backend${config.attack ? `, attack ${config.attack.name} by ${outcome.attackers.join(', ')}` : ''}`,
      '',
    ];
    const [header, rows] = dropEmptyColumns(
      [
        'round',
        'results',
        'train loss',
        'pooled loss',
        'pooled acc',
        'pooled AUC',
        'client-mean acc',
        'worst 10%',
        'time',
        'traffic',
      ],
      roundRows(result.history),
    );
    out.push(formatTable(header, rows));
    const last = result.history.at(-1);
    if (last?.serverEvaluation) {
      out.push('', await finalModelLine(outcome, last.round, config.scenario.seed));
    }
    if (result.status === 'aborted') out.push(`Run stopped after round ${result.lastRound}.`);
    if (result.privacy) {
      const { mechanism, epsilon, delta, budget } = result.privacy;
      const target = budget ? ` of a budget of ${budget.epsilon}` : '';
      out.push(`Privacy (${mechanism}): epsilon ${epsilon.toFixed(4)}${target} spent at delta ${delta}.`);
    }
    if (result.status === 'budget-exhausted') out.push(`Run stopped: ${result.reason}.`);
    process.stdout.write(`${out.join('\n')}\n`);

    if (config.compare) {
      process.stderr.write('training the central and local-only baselines...\n');
      const report = await compareWithBaselines({
        seed: config.scenario.seed,
        onModel: baselineProgress((line) => process.stderr.write(`${line}\n`)),
        prepared,
        model: outcome.model,
        initialParams: outcome.initialParams,
        finalParams: result.params,
        fitConfig: config.fit,
        epochs: equivalentEpochs(result.lastRound, config.engine.fractionFit ?? 1, config.fit.localEpochs),
      });
      process.stdout.write(`\n${formatComparison(report)}\n`);
      if (config.output) {
        const history = recorder.history();
        writeFileSync(
          config.output,
          `${JSON.stringify({ ...history, ...attackRecord, comparison: report, partitions: prepared.partitionStats }, null, 2)}\n`,
        );
      }
    } else if (config.output) {
      writeFileSync(
        config.output,
        `${JSON.stringify({ ...recorder.history(), ...attackRecord, partitions: prepared.partitionStats }, null, 2)}\n`,
      );
    }
    if (config.output) process.stdout.write(`History written to ${config.output}\n`);
    if (recording) {
      process.stdout.write(
        `Run ${recording.runId} recorded in ${options.runsDb} (flotilla runs show ${recording.runId}; flotilla report ${recording.runId} --out report.html)\n`,
      );
    }
    if (config.saveModel) {
      writeFileSync(config.saveModel, encodeParameters(result.params));
      process.stdout.write(`Final parameters written to ${config.saveModel}\n`);
    }
    outcome.model.dispose();
    return 0;
  },
};

/**
 * `flotilla train-central [CONFIG] [flags]`: the centralized baseline of a federated config. It trains the same
 * model, from the same initial weights, on the union of the clients' training data, for the federated run's number
 * of passes over the data (rounds x fraction x local epochs) unless --epochs says otherwise, and reports test metrics
 * after every epoch.
 */
import { writeFileSync } from 'node:fs';
import type { Dataset } from '../../core/index.js';
import { trainCentral, type CentralEpoch } from '../../ml/index.js';
import { equivalentEpochs, pooledSummary } from '../../sim/report.js';
import { pooledTraining } from '../../sim/scenario.js';
import { EVALUATION_BATCH_SIZE, scenarioModel } from '../../sim/simulate.js';
import type { Command } from '../command.js';
import { resolveRunConfig } from '../run-config.js';
import { formatDuration, remainingMs } from '../../telemetry/index.js';
import { accuracyText, positivesText, withInterval } from '../report-format.js';
import { formatMetric, formatTable } from '../table.js';
import { RUN_COMMAND, readRunOptions } from './simulate.js';

export const trainCentralCommand: Command = {
  name: 'train-central',
  summary: 'train the same model centrally on the pooled client data (the baseline of a federated config)',
  help: () =>
    [
      'Usage: flotilla train-central [CONFIG_FILE] [options]',
      '',
      'Takes the same config and flags as `flotilla simulate`; --epochs sets the number of epochs (default: the',
      "federated run's passes over the data, rounds x fraction x local epochs).",
      '',
      'Options:',
      RUN_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const options = readRunOptions(args, 'train-central');
    const config = resolveRunConfig(options);
    const epochs =
      options.epochs ??
      equivalentEpochs(config.engine.rounds, config.engine.fractionFit ?? 1, config.fit.localEpochs);
    const { prepared, model, backend } = await scenarioModel(config.scenario, config.backend);
    const train = pooledTraining(prepared);
    process.stderr.write(
      `training ${config.scenario.model} on ${train.size} pooled examples for ${epochs} epochs (${backend})\n`,
    );
    const started = performance.now();
    const total = Math.round(epochs);
    // A line per epoch on stderr, on a terminal or not: a long central training is never silent.
    const onEpoch = (e: CentralEpoch) => {
      const elapsed = performance.now() - started;
      process.stderr.write(
        `epoch ${e.epoch}/${total}  train loss ${formatMetric(e.loss)}  test acc ${accuracyText(e.test.metrics)}  elapsed ${formatDuration(elapsed)}  eta ${formatDuration(remainingMs(elapsed, e.epoch, total - e.epoch))}\n`,
      );
    };
    const result = await trainCentral(
      model,
      train,
      prepared.serverTest,
      model.getParameters(),
      { ...config.fit, localEpochs: total },
      EVALUATION_BATCH_SIZE,
      onEpoch,
    );
    const rows = result.history.map((e) => [
      String(e.epoch),
      formatMetric(e.loss),
      formatMetric(e.test.loss),
      accuracyText(e.test.metrics),
      formatMetric(e.test.metrics['aucRoc']),
    ]);
    process.stdout.write(
      `${formatTable(['epoch', 'train loss', 'pooled test loss', 'pooled test acc', 'pooled AUC'], rows)}\n`,
    );
    const last = result.history.at(-1);
    const took = ((performance.now() - started) / 1000).toFixed(1);
    let auc = '';
    if (last?.test.metrics['aucRoc'] !== undefined) {
      const pooled = await pooledSummary(model, result.params, prepared, config.scenario.seed);
      auc = `, AUC-ROC ${withInterval(last.test.metrics['aucRoc'], pooled.aucRocInterval)} (${Math.round(pooled.bootstrap.level * 100)}% CI, ${positivesText(pooled.testSet)} positives)`;
    }
    process.stdout.write(
      `\nCentral model: test accuracy ${accuracyText(last?.test.metrics ?? {})}${auc} after ${result.history.length} epochs (${took} s)\n`,
    );
    if (config.output) {
      writeFileSync(
        config.output,
        `${JSON.stringify({ command: 'train-central', options, labelCounts: labelCounts(train), epochs: result.history }, null, 2)}\n`,
      );
      process.stdout.write(`History written to ${config.output}\n`);
    }
    model.dispose();
    return 0;
  },
};

/** Examples per class in the pooled training data: what a trivial majority-class predictor is measured against. */
function labelCounts(data: Dataset): number[] {
  const counts = new Array<number>(data.numClasses).fill(0);
  for (const label of data.labels) counts[label]! += 1;
  return counts;
}

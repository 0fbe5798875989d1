/**
 * The comparison a federation owes its members: the federated model next to a model trained centrally on the pooled
 * data (what they could get if data could be shared) and next to each client's local-only model (what each gets
 * alone), each evaluated on every client's held-out data and on the pooled test set. Baselines get the same number
 * of passes over the data as the federated run made, from the same initial weights.
 *
 * So that small test sets do not mislead: every test set comes with its size, positives and prevalence and the
 * accuracy of always predicting the majority class (of the pooled training data); binary AUCs carry 95% percentile
 * bootstrap intervals; and the federated model's AUC is compared with every other model's on the same rows by a
 * paired bootstrap of the difference, which says whether the difference is within the resampling noise.
 */
import type { Dataset, EvaluateOutput, FitConfig, MetricValues, ParameterSet } from '../core/index.js';
import {
  TfjsTrainer,
  bootstrapAuc,
  pairedAucDifference,
  trainCentral,
  type Difference,
  type Interval,
  type SharedModel,
} from '../ml/index.js';
import { pooledTraining, pooledTrainingLabels, type PreparedScenario } from './scenario.js';
import { EVALUATION_BATCH_SIZE } from './simulate.js';

/** Resamples and level of the report's bootstrap intervals. */
export const REPORT_BOOTSTRAP = { resamples: 1000, level: 0.95 } as const;

export type ModelKind = 'federated' | 'central' | 'local-only';

export interface ReportRow {
  readonly model: ModelKind;
  /** Whose held-out data the row is measured on: a client id, or 'pooled'. */
  readonly evaluatedOn: string;
  /** For local-only rows: whose model it is. */
  readonly trainedBy?: string;
  readonly loss: number;
  readonly numExamples: number;
  readonly metrics: MetricValues;
  /** Binary tasks: 95% bootstrap intervals of metrics.aucRoc and metrics.aucPr on this row's test set. */
  readonly aucRocInterval?: Interval;
  readonly aucPrInterval?: Interval;
}

/** A test set of the report and the majority-class baseline on it. */
export interface TestSetSummary {
  /** A client id, or 'pooled'. */
  readonly evaluatedOn: string;
  readonly numExamples: number;
  /** Binary tasks: rows of class 1 and their fraction. */
  readonly positives?: number;
  readonly prevalence?: number;
  /** Accuracy of always predicting the pooled training data's commonest class. */
  readonly majorityAccuracy: number;
}

/** The federated model's AUC minus another model's, on the same test rows, with its paired bootstrap interval. */
export interface ModelDifference {
  readonly model: Exclude<ModelKind, 'federated'>;
  readonly trainedBy?: string;
  readonly evaluatedOn: string;
  readonly aucRoc: Difference;
  readonly aucPr: Difference;
}

export interface ComparisonReport {
  /** Passes over the training data each baseline made (matching the federated run). */
  readonly epochs: number;
  readonly rows: readonly ReportRow[];
  readonly testSets: readonly TestSetSummary[];
  /** Binary tasks: federated minus each other model, per test set both were evaluated on. */
  readonly differences: readonly ModelDifference[];
  /** How the intervals were made: percentile bootstrap, stratified by class. */
  readonly bootstrap: { readonly resamples: number; readonly level: number; readonly seed: number };
}

export interface ComparisonInput {
  readonly prepared: PreparedScenario;
  readonly model: SharedModel;
  readonly initialParams: ParameterSet;
  readonly finalParams: ParameterSet;
  /** Local training settings of the federated run (batch size, optimizer, learning rate...). */
  readonly fitConfig: FitConfig;
  readonly epochs: number;
  /** Seed of the bootstrap resampling (default 0): the same seed gives the same intervals. */
  readonly seed?: number;
  /** Called as each model is trained (central, then each local-only one), for progress displays. */
  readonly onModel?: (done: number, total: number, what: string) => void;
}

interface TestSet {
  readonly id: string;
  readonly data: Dataset;
}

interface Scored {
  readonly id: string;
  readonly out: EvaluateOutput;
  readonly scores?: Float32Array;
}

function testSets(prepared: PreparedScenario): TestSet[] {
  return [
    ...prepared.clients.filter((c) => c.test).map((c) => ({ id: c.id, data: c.test! })),
    { id: 'pooled', data: prepared.serverTest },
  ];
}

async function evaluateOn(
  model: SharedModel,
  params: ParameterSet,
  targets: readonly TestSet[],
  majorityFrom: Int32Array,
): Promise<Scored[]> {
  const results: Scored[] = [];
  for (const target of targets) {
    const trainer = new TfjsTrainer(model, target.data, { majorityFrom });
    const { output, scores } = await trainer.evaluateScored(params, {
      round: 0,
      batchSize: EVALUATION_BATCH_SIZE,
    });
    results.push({ id: target.id, out: output, ...(scores ? { scores } : {}) });
  }
  return results;
}

function summarizeTestSet(target: TestSet, out: EvaluateOutput): TestSetSummary {
  const prevalence = out.metrics['prevalence'];
  return {
    evaluatedOn: target.id,
    numExamples: target.data.size,
    ...(prevalence !== undefined ? { positives: Math.round(prevalence * target.data.size), prevalence } : {}),
    majorityAccuracy: out.metrics['majorityAccuracy'] ?? NaN,
  };
}

export async function compareWithBaselines(input: ComparisonInput): Promise<ComparisonReport> {
  const { prepared, model, initialParams, finalParams } = input;
  const config: FitConfig = { ...input.fitConfig, localEpochs: input.epochs };
  const seed = input.seed ?? 0;
  const targets = testSets(prepared);
  const labelsOf = new Map(targets.map((t) => [t.id, t.data.labels]));
  const majorityFrom = pooledTrainingLabels(prepared);
  const bootstrap = { ...REPORT_BOOTSTRAP, seed };
  const report: ReportRow[] = [];
  const differences: ModelDifference[] = [];
  const federated = await evaluateOn(model, finalParams, targets, majorityFrom);
  const federatedScores = new Map(federated.flatMap((r) => (r.scores ? [[r.id, r.scores] as const] : [])));

  /** Adds a model's rows, with intervals, and its differences from the federated model on the same rows. */
  const add = (model: ModelKind, results: Scored[], trainedBy?: string) => {
    for (const { id, out, scores } of results) {
      const labels = labelsOf.get(id)!;
      const intervals = scores ? bootstrapAuc(scores, labels, bootstrap) : undefined;
      report.push({
        model,
        evaluatedOn: id,
        ...(trainedBy ? { trainedBy } : {}),
        loss: out.loss,
        numExamples: out.numExamples,
        metrics: out.metrics,
        ...(intervals
          ? { aucRocInterval: intervals.aucRocInterval, aucPrInterval: intervals.aucPrInterval }
          : {}),
      });
      const reference = federatedScores.get(id);
      if (model !== 'federated' && reference && scores) {
        const d = pairedAucDifference(reference, scores, labels, bootstrap);
        differences.push({
          model,
          ...(trainedBy ? { trainedBy } : {}),
          evaluatedOn: id,
          aucRoc: d.aucRoc,
          aucPr: d.aucPr,
        });
      }
    }
  };

  add('federated', federated);
  const total = 1 + prepared.clients.length;

  const pooled = pooledTraining(prepared);
  const central = await trainCentral(
    model,
    pooled,
    prepared.serverTest,
    initialParams,
    config,
    EVALUATION_BATCH_SIZE,
  );
  input.onModel?.(1, total, 'central');
  add('central', await evaluateOn(model, central.params, targets, majorityFrom));

  for (const [i, client] of prepared.clients.entries()) {
    const trainer = new TfjsTrainer(model, client.train);
    const local = await trainer.fit(initialParams, config);
    input.onModel?.(2 + i, total, `local-only ${client.id}`);
    const own = targets.filter((t) => t.id === client.id || t.id === 'pooled');
    add('local-only', await evaluateOn(model, local.params, own, majorityFrom), client.id);
  }
  const testSetSummaries = targets.map((t) => summarizeTestSet(t, federated.find((r) => r.id === t.id)!.out));
  return { epochs: input.epochs, rows: report, testSets: testSetSummaries, differences, bootstrap };
}

/** Passes over the data a federated run made: rounds x expected fraction of clients x local epochs (at least 1). */
export function equivalentEpochs(rounds: number, fraction: number, localEpochs: number): number {
  return Math.max(1, Math.round(rounds * fraction * localEpochs));
}

/** The final model on the pooled test set: its evaluation, positives, and bootstrap intervals of its AUCs. */
export interface PooledSummary {
  readonly output: EvaluateOutput;
  readonly testSet: TestSetSummary;
  readonly aucRocInterval?: Interval;
  readonly aucPrInterval?: Interval;
  readonly bootstrap: ComparisonReport['bootstrap'];
}

export async function pooledSummary(
  model: SharedModel,
  params: ParameterSet,
  prepared: PreparedScenario,
  seed = 0,
): Promise<PooledSummary> {
  const pooled = { id: 'pooled', data: prepared.serverTest };
  const [scored] = await evaluateOn(model, params, [pooled], pooledTrainingLabels(prepared));
  const bootstrap = { ...REPORT_BOOTSTRAP, seed };
  const intervals = scored!.scores && bootstrapAuc(scored!.scores, pooled.data.labels, bootstrap);
  return {
    output: scored!.out,
    testSet: summarizeTestSet(pooled, scored!.out),
    ...(intervals
      ? { aucRocInterval: intervals.aucRocInterval, aucPrInterval: intervals.aucPrInterval }
      : {}),
    bootstrap,
  };
}

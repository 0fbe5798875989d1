/**
 * The comparison a federation owes its members: the federated model next to a model trained centrally on the pooled
 * data (what they could get if data could be shared) and next to each client's local-only model (what each gets
 * alone), each evaluated on every client's held-out data and on the pooled test set. Baselines get the same number
 * of passes over the data as the federated run made, from the same initial weights.
 */
import type { EvaluateOutput, FitConfig, MetricValues, ParameterSet } from '../core/index.js';
import { TfjsTrainer, trainCentral, type SharedModel } from '../ml/index.js';
import { pooledTraining, type PreparedScenario } from './scenario.js';
import { EVALUATION_BATCH_SIZE } from './simulate.js';

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
}

export interface ComparisonReport {
  /** Passes over the training data each baseline made (matching the federated run). */
  readonly epochs: number;
  readonly rows: readonly ReportRow[];
}

export interface ComparisonInput {
  readonly prepared: PreparedScenario;
  readonly model: SharedModel;
  readonly initialParams: ParameterSet;
  readonly finalParams: ParameterSet;
  /** Local training settings of the federated run (batch size, optimizer, learning rate...). */
  readonly fitConfig: FitConfig;
  readonly epochs: number;
}

async function evaluateOn(
  model: SharedModel,
  params: ParameterSet,
  prepared: PreparedScenario,
): Promise<{ id: string; out: EvaluateOutput }[]> {
  const targets = [
    ...prepared.clients.filter((c) => c.test).map((c) => ({ id: c.id, data: c.test! })),
    { id: 'pooled', data: prepared.serverTest },
  ];
  const results: { id: string; out: EvaluateOutput }[] = [];
  for (const target of targets) {
    const trainer = new TfjsTrainer(model, target.data);
    results.push({
      id: target.id,
      out: await trainer.evaluate(params, { round: 0, batchSize: EVALUATION_BATCH_SIZE }),
    });
  }
  return results;
}

function rows(
  model: ModelKind,
  results: { id: string; out: EvaluateOutput }[],
  trainedBy?: string,
): ReportRow[] {
  return results.map(({ id, out }) => ({
    model,
    evaluatedOn: id,
    ...(trainedBy ? { trainedBy } : {}),
    loss: out.loss,
    numExamples: out.numExamples,
    metrics: out.metrics,
  }));
}

export async function compareWithBaselines(input: ComparisonInput): Promise<ComparisonReport> {
  const { prepared, model, initialParams, finalParams } = input;
  const config: FitConfig = { ...input.fitConfig, localEpochs: input.epochs };
  const report: ReportRow[] = rows('federated', await evaluateOn(model, finalParams, prepared));

  const pooled = pooledTraining(prepared);
  const central = await trainCentral(
    model,
    pooled,
    prepared.serverTest,
    initialParams,
    config,
    EVALUATION_BATCH_SIZE,
  );
  report.push(...rows('central', await evaluateOn(model, central.params, prepared)));

  for (const client of prepared.clients) {
    const trainer = new TfjsTrainer(model, client.train);
    const local = await trainer.fit(initialParams, config);
    const own = (await evaluateOn(model, local.params, prepared)).filter(
      (r) => r.id === client.id || r.id === 'pooled',
    );
    report.push(...rows('local-only', own, client.id));
  }
  return { epochs: input.epochs, rows: report };
}

/** Passes over the data a federated run made: rounds x expected fraction of clients x local epochs (at least 1). */
export function equivalentEpochs(rounds: number, fraction: number, localEpochs: number): number {
  return Math.max(1, Math.round(rounds * fraction * localEpochs));
}

/**
 * The report that ends a local federation: the federated model the server committed last, next to a central model
 * and each party's local-only model (sim/report.ts), all on the parties' held-out rows and on the pooled test set.
 * The scenario is rebuilt here from its seed: the same rows and statistics the parties' files were written from.
 */
import type { FitConfig } from '../core/index.js';
import { SharedModel, initBackend } from '../ml/index.js';
import { compareWithBaselines, equivalentEpochs, type ComparisonReport } from '../sim/report.js';
import { prepareScenario, type ScenarioConfig } from '../sim/scenario.js';
import { SqliteStorage } from '../storage/sqlite/index.js';

export interface FederationReportInput {
  readonly scenario: ScenarioConfig;
  readonly db: string;
  readonly runId: string;
  /** The run's local training settings; the baselines train with them. */
  readonly fit: FitConfig;
  /** Fraction of the parties selected per round, for the baselines' equivalent passes over the data. */
  readonly fraction: number;
  /** Progress of the baselines' training (see compareWithBaselines). */
  readonly onModel?: (done: number, total: number, what: string) => void;
}

export async function federationReport(input: FederationReportInput): Promise<ComparisonReport> {
  const storage = SqliteStorage.open(input.db);
  let initialParams;
  let checkpoint;
  try {
    initialParams = await storage.initialParams(input.runId);
    checkpoint = await storage.latestCheckpoint(input.runId);
  } finally {
    await storage.close();
  }
  if (!checkpoint) throw new Error(`run ${input.runId} has no committed round to report on`);
  await initBackend('wasm');
  const prepared = await prepareScenario(input.scenario);
  const model = SharedModel.create(input.scenario.model, {
    inputShape: prepared.featureShape,
    numClasses: prepared.numClasses,
    seed: input.scenario.seed,
  });
  try {
    return await compareWithBaselines({
      prepared,
      model,
      initialParams,
      finalParams: checkpoint.params,
      fitConfig: input.fit,
      epochs: equivalentEpochs(checkpoint.round, input.fraction, input.fit.localEpochs),
      seed: input.scenario.seed,
      ...(input.onModel ? { onModel: input.onModel } : {}),
    });
  } finally {
    model.dispose();
  }
}

/**
 * What one update released by a client costs that client's own ledger, from the FitConfig it trained under and what
 * its trainer reported. The client charges it (client/privacy.ts) and a server that wants to enforce budgets before
 * asking can mirror the same ledgers from the results it receives (engine/client-dp.ts): one function, so the two
 * never disagree.
 */
import type { FitConfig } from '../../core/trainer.js';
import type { LedgerEntry } from '../accountant/ledger.js';

type CostConfig = Pick<
  FitConfig,
  'batchSize' | 'clipNorm' | 'localNoiseMultiplier' | 'exampleNoiseMultiplier'
>;

/**
 * Local DP: any two clipped updates differ by at most 2C, so the release is a Gaussian mechanism with multiplier
 * z / 2 (local-noise.ts). DP-SGD: `localSteps` steps of the sampled Gaussian mechanism at rate batchSize /
 * numExamples. Shuffled batches get the same Poisson analysis, as TF Privacy and Opacus report it; strictly only
 * Poisson batches have it. Plain clipping costs nothing here: the server's noise pays for it.
 */
export function clientReleaseCost(
  config: CostConfig,
  numExamples: number,
  localSteps: number,
): LedgerEntry[] {
  const entries: LedgerEntry[] = [];
  if (config.localNoiseMultiplier !== undefined) {
    entries.push({ mechanism: 'gaussian', z: config.localNoiseMultiplier / 2, steps: 1 });
  }
  const z = config.exampleNoiseMultiplier;
  if (z !== undefined && localSteps > 0 && numExamples > 0) {
    entries.push({
      mechanism: 'sampled-gaussian',
      sampling: 'poisson',
      q: Math.min(1, config.batchSize / numExamples),
      z,
      steps: localSteps,
    });
  }
  return entries;
}

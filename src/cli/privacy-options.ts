/**
 * Differential privacy settings of a run (settings/run-privacy.ts), and their translation into an engine PrivacyPolicy, the engine's client
 * sampling and the clients' own settings. With `dp: central` and a target epsilon but no noise multiplier, the
 * multiplier is calibrated so that the configured rounds spend exactly the budget (computeNoiseMultiplier).
 */
import { FlotillaError } from '../core/index.js';
import {
  ClientDpPolicy,
  DpFedAvgPolicy,
  type ClientSamplingKind,
  type PrivacyPolicy,
} from '../engine/index.js';
import { computeNoiseMultiplier, type PrivacyBudget } from '../privacy/index.js';
import type { RunSettings } from './settings/run-settings.js';

type PrivacySettings = Pick<
  RunSettings,
  | 'dp'
  | 'clipNorm'
  | 'clipOn'
  | 'noiseOn'
  | 'noiseMultiplier'
  | 'targetEpsilon'
  | 'targetDelta'
  | 'clientSampling'
  | 'adaptiveClipping'
  | 'targetQuantile'
  | 'clipLearningRate'
  | 'exampleSampling'
  | 'dpSeeded'
  | 'strategy'
  | 'seed'
>;

export interface ResolvedPrivacy {
  readonly policy: PrivacyPolicy;
  readonly clientSampling: ClientSamplingKind;
  /** What every client runtime is built with: its noise source and its own budget. */
  readonly client: { readonly noise: 'secure' | 'seeded'; readonly privacyBudget?: PrivacyBudget };
}

function invalid(key: string, message: string): never {
  throw new FlotillaError('CONFIG_INVALID', `"${key}" ${message}`, { key });
}

/** The privacy part of a run, or undefined when `dp` is none (then no other DP key may be set). */
export function resolvePrivacy(
  v: PrivacySettings,
  rounds: number,
  fraction: number,
): ResolvedPrivacy | undefined {
  const mode = v.dp;
  const clientSampling: ClientSamplingKind = v.clientSampling;
  if (mode === 'none') {
    for (const key of ['noiseMultiplier', 'targetEpsilon'] as const) {
      if (v[key] !== undefined) invalid(key, 'needs a DP mode: set "dp" to central, local or dp-sgd');
    }
    return undefined;
  }
  const delta = v.targetDelta;
  const epsilon = v.targetEpsilon;
  const budget = epsilon === undefined ? undefined : { epsilon, delta };
  const clipNorm = v.clipNorm;
  const noise = v.dpSeeded ? 'seeded' : 'secure';
  let z = v.noiseMultiplier;
  // Which strategies can follow each mode is checked with the engine's other assumptions (engine/assumptions.ts).
  if (mode === 'central') {
    if (z === undefined) {
      if (!budget) invalid('noiseMultiplier', 'is needed for central DP unless "targetEpsilon" is set');
      z = computeNoiseMultiplier({
        targetEpsilon: budget.epsilon,
        delta,
        samplingRate: fraction,
        steps: rounds,
        sampling: clientSampling,
      }).noiseMultiplier;
      // Fixed-size sampling is accounted at z / 2 (replace-one adjacency): the noise on the sum needs twice that.
      if (clientSampling === 'fixed-size') z *= 2;
    }
    const policy = new DpFedAvgPolicy({
      noiseMultiplier: z,
      clipNorm,
      clipOn: v.clipOn,
      noiseOn: v.noiseOn,
      sampling: clientSampling,
      delta,
      ...(budget ? { budget } : {}),
      ...(v.adaptiveClipping
        ? { adaptive: { targetQuantile: v.targetQuantile, learningRate: v.clipLearningRate } }
        : {}),
      ...(noise === 'seeded' ? { noiseSeed: v.seed } : {}),
    });
    return { policy, clientSampling, client: { noise } };
  }
  if (z === undefined) invalid('noiseMultiplier', `is needed for ${mode} DP`);
  if (v.adaptiveClipping) invalid('adaptiveClipping', 'applies to central DP only');
  if (v.noiseOn === 'clients')
    invalid('noiseOn', 'applies to central DP only (distributed noise on the sum)');
  const policy = new ClientDpPolicy({
    ...(mode === 'local'
      ? { mode: 'local' as const, clipNorm, noiseMultiplier: z }
      : {
          mode: 'dp-sgd' as const,
          exampleClipNorm: clipNorm,
          noiseMultiplier: z,
          sampling: v.exampleSampling,
        }),
    delta,
    ...(budget ? { budget } : {}),
  });
  return { policy, clientSampling, client: { noise, ...(budget ? { privacyBudget: budget } : {}) } };
}

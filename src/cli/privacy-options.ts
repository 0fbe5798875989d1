/**
 * Differential privacy keys of a run config, and their translation into an engine PrivacyPolicy, the engine's client
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
import type { OptionSpec, OptionValues } from './options.js';

export const PRIVACY_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'dp',
    type: 'enum',
    values: ['none', 'central', 'local', 'dp-sgd'],
    default: 'none',
    description:
      'differential privacy: central (DP-FedAvg: clipped updates, Gaussian noise on the average), local (each client clips and noises its update), dp-sgd (per-example clipping and noise in local training)',
  },
  {
    key: 'clipNorm',
    type: 'number',
    above: 0,
    default: 1,
    description:
      'central, local: L2 bound C of each client update (the start value with adaptive clipping); dp-sgd: bound of each example gradient',
  },
  {
    key: 'clipOn',
    type: 'enum',
    values: ['client', 'server'],
    default: 'client',
    description: 'central: who clips, the client before sending or a trusted server on receipt',
  },
  {
    key: 'noiseOn',
    type: 'enum',
    values: ['server', 'clients'],
    default: 'server',
    description:
      'central: who adds the noise, the server after aggregation (after unmasking under secure aggregation) or the clients (distributed DP: each adds its share before masking, so the server never sees an unnoised sum; needs secureAggregation)',
  },
  {
    key: 'noiseMultiplier',
    type: 'number',
    above: 0,
    description:
      'z: noise standard deviation in units of the clip norm (central: on the sum, i.e. z C / m on the average). Default for central with targetEpsilon: calibrated to spend the budget in the configured rounds',
  },
  {
    key: 'targetEpsilon',
    type: 'number',
    above: 0,
    description:
      'privacy budget: no round starts that would take epsilon above it (local, dp-sgd: any client epsilon)',
  },
  {
    key: 'targetDelta',
    type: 'number',
    above: 0,
    max: 0.1,
    default: 1e-5,
    description: 'the delta of the budget, and the delta at which epsilon is reported',
  },
  {
    key: 'clientSampling',
    type: 'enum',
    values: ['fixed-size', 'poisson'],
    default: 'fixed-size',
    description:
      'client selection per round: fixed-size (exactly fraction x clients) or poisson (each client independently with probability fraction); central DP accounts each with its own analysis',
  },
  {
    key: 'adaptiveClipping',
    type: 'boolean',
    default: false,
    description:
      'central: adapt the clip norm to a quantile of the update norms (Andrew et al. 2021), its privacy cost included',
  },
  {
    key: 'targetQuantile',
    type: 'number',
    min: 0,
    max: 1,
    default: 0.5,
    description: 'adaptive clipping: fraction of updates that should end up unclipped',
  },
  {
    key: 'clipLearningRate',
    type: 'number',
    above: 0,
    default: 0.2,
    description: 'adaptive clipping: step size of the geometric clip norm update',
  },
  {
    key: 'exampleSampling',
    type: 'enum',
    values: ['poisson', 'shuffle'],
    default: 'poisson',
    description:
      'dp-sgd: Poisson batches (each example with probability batchSize / examples, the accounted scheme) or shuffled fixed-size batches',
  },
  {
    key: 'dpSeeded',
    type: 'boolean',
    default: false,
    description:
      'draw DP noise from the run seed so a simulation can be replayed; NOT private (the seed reveals the noise). Default: the platform CSPRNG',
  },
];

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
  v: OptionValues,
  rounds: number,
  fraction: number,
): ResolvedPrivacy | undefined {
  const mode = v['dp'] as 'none' | 'central' | 'local' | 'dp-sgd';
  const clientSampling = v['clientSampling'] as ClientSamplingKind;
  if (mode === 'none') {
    for (const key of ['noiseMultiplier', 'targetEpsilon'] as const) {
      if (v[key] !== undefined) invalid(key, 'needs a DP mode: set "dp" to central, local or dp-sgd');
    }
    return undefined;
  }
  const delta = v['targetDelta'] as number;
  const epsilon = v['targetEpsilon'] as number | undefined;
  const budget = epsilon === undefined ? undefined : { epsilon, delta };
  const clipNorm = v['clipNorm'] as number;
  const noise = v['dpSeeded'] ? 'seeded' : 'secure';
  let z = v['noiseMultiplier'] as number | undefined;
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
      clipOn: v['clipOn'] as 'client' | 'server',
      noiseOn: v['noiseOn'] as 'server' | 'clients',
      sampling: clientSampling,
      delta,
      ...(budget ? { budget } : {}),
      ...(v['adaptiveClipping']
        ? {
            adaptive: {
              targetQuantile: v['targetQuantile'] as number,
              learningRate: v['clipLearningRate'] as number,
            },
          }
        : {}),
      ...(noise === 'seeded' ? { noiseSeed: v['seed'] as number } : {}),
    });
    return { policy, clientSampling, client: { noise } };
  }
  if (z === undefined) invalid('noiseMultiplier', `is needed for ${mode} DP`);
  if (v['adaptiveClipping']) invalid('adaptiveClipping', 'applies to central DP only');
  if (v['noiseOn'] === 'clients')
    invalid('noiseOn', 'applies to central DP only (distributed noise on the sum)');
  const policy = new ClientDpPolicy({
    ...(mode === 'local'
      ? { mode: 'local' as const, clipNorm, noiseMultiplier: z }
      : {
          mode: 'dp-sgd' as const,
          exampleClipNorm: clipNorm,
          noiseMultiplier: z,
          sampling: v['exampleSampling'] as 'poisson' | 'shuffle',
        }),
    delta,
    ...(budget ? { budget } : {}),
  });
  return { policy, clientSampling, client: { noise, ...(budget ? { privacyBudget: budget } : {}) } };
}

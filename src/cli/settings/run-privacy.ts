/** Run settings of differential privacy (translated into engine policies by privacy-options.ts). */
import { z } from 'zod';

export const PRIVACY_SETTINGS = {
  dp: z.enum(['none', 'central', 'local', 'dp-sgd']).default('none').meta({
    description:
      'differential privacy: central (DP-FedAvg: clipped updates, Gaussian noise on the average), local (each client clips and noises its update), dp-sgd (per-example clipping and noise in local training)',
  }),
  clipNorm: z.number().gt(0).default(1).meta({
    description:
      'central, local: L2 bound C of each client update (the start value with adaptive clipping); dp-sgd: bound of each example gradient',
  }),
  clipOn: z.enum(['client', 'server']).default('client').meta({
    description: 'central: who clips, the client before sending or a trusted server on receipt',
  }),
  noiseOn: z.enum(['server', 'clients']).default('server').meta({
    description:
      'central: who adds the noise, the server after aggregation (after unmasking under secure aggregation) or the clients (distributed DP: each adds its share before masking, so the server never sees an unnoised sum; needs secureAggregation)',
  }),
  noiseMultiplier: z.number().gt(0).optional().meta({
    description:
      'z: noise standard deviation in units of the clip norm (central: on the sum, i.e. z C / m on the average). Default for central with targetEpsilon: calibrated to spend the budget in the configured rounds',
  }),
  targetEpsilon: z.number().gt(0).optional().meta({
    description:
      'privacy budget: no round starts that would take epsilon above it (local, dp-sgd: any client epsilon)',
  }),
  targetDelta: z.number().gt(0).max(0.1).default(1e-5).meta({
    description: 'the delta of the budget, and the delta at which epsilon is reported',
  }),
  clientSampling: z.enum(['fixed-size', 'poisson']).default('fixed-size').meta({
    description:
      'client selection per round: fixed-size (exactly fraction x clients) or poisson (each client independently with probability fraction); central DP accounts each with its own analysis',
  }),
  adaptiveClipping: z.boolean().default(false).meta({
    description:
      'central: adapt the clip norm to a quantile of the update norms (Andrew et al. 2021), its privacy cost included',
  }),
  targetQuantile: z.number().min(0).max(1).default(0.5).meta({
    description: 'adaptive clipping: fraction of updates that should end up unclipped',
  }),
  clipLearningRate: z.number().gt(0).default(0.2).meta({
    description: 'adaptive clipping: step size of the geometric clip norm update',
  }),
  exampleSampling: z.enum(['poisson', 'shuffle']).default('poisson').meta({
    description:
      'dp-sgd: Poisson batches (each example with probability batchSize / examples, the accounted scheme) or shuffled fixed-size batches',
  }),
  dpSeeded: z.boolean().default(false).meta({
    description:
      'draw DP noise from the run seed so a simulation can be replayed; NOT private (the seed reveals the noise). Default: the platform CSPRNG',
  }),
};

/** The privacy keys a server records with its run (a resumed run must keep them). */
export const PRIVACY_KEYS = Object.keys(PRIVACY_SETTINGS) as (keyof typeof PRIVACY_SETTINGS)[];

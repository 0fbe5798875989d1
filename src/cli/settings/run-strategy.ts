/**
 * Run settings of the aggregation strategy. Each parameter key maps to a parameter of one or more strategies in the
 * catalog (STRATEGY_PARAMS); a key is accepted only when the chosen strategy takes it (strategy-options.ts), and each
 * strategy checks its own ranges.
 */
import { z } from 'zod';
import { STRATEGY_NAMES } from '../../strategy/index.js';

const number = (description: string) => z.number().optional().meta({ description });
const integer = (description: string) => z.int().optional().meta({ description });

export const STRATEGY_SETTINGS = {
  strategy: z
    .enum(STRATEGY_NAMES as readonly string[] as [string, ...string[]])
    .default('fedavg')
    .meta({ description: 'aggregation strategy' }),
  weightedAggregation: z.boolean().optional().meta({
    description: 'weight client updates by their number of examples (false: every client counts the same)',
  }),
  serverLearningRate: number(
    'fedavgm, fedadagrad, fedadam, fedyogi, scaffold, fltrust: server learning rate',
  ),
  serverMomentum: number('fedavgm: server momentum'),
  beta1: number('fedadagrad, fedadam, fedyogi: first-moment decay'),
  beta2: number('fedadam, fedyogi: second-moment decay'),
  tau: number('fedadagrad, fedadam, fedyogi: adaptivity (epsilon); centered-clipping: clipping radius'),
  initialV: number('fedadagrad, fedadam, fedyogi: initial second moment (default tau^2)'),
  q: number('qfedavg: fairness exponent q (0 is FedAvg)'),
  trimFraction: number('trimmed-mean: fraction trimmed from each end per coordinate'),
  byzantine: z
    .int()
    .optional()
    .meta({
      description: 'krum, multi-krum, bulyan: number of Byzantine clients tolerated (f)',
      aliases: ['f'],
    }),
  krumSelect: integer('multi-krum: number of updates averaged (default n - f)'),
  clippingIterations: integer('centered-clipping: clipping iterations per round'),
  normBound: number('norm-bounding: L2 bound applied to every update'),
  mu: number('fedprox: proximal coefficient mu (clients add mu/2 ||w - w_global||^2 to their loss)'),
  minLocalEpochs: integer('fednova: fewest local epochs a client is given (random per client and round)'),
  maxLocalEpochs: integer('fednova: most local epochs a client is given (random per client and round)'),
  localEpochsRange: z.string().optional().meta({
    description:
      'fednova: MIN-MAX local epochs drawn per client and round, e.g. 1-5 (sets minLocalEpochs, maxLocalEpochs)',
  }),
};

/** Setting key -> the strategy parameter it sets, where the parameter's own name would be ambiguous in a run. */
export const STRATEGY_PARAMS = {
  weightedAggregation: 'weighted',
  serverLearningRate: 'serverLearningRate',
  serverMomentum: 'momentum',
  beta1: 'beta1',
  beta2: 'beta2',
  tau: 'tau',
  initialV: 'initialV',
  q: 'q',
  trimFraction: 'beta',
  byzantine: 'f',
  krumSelect: 'm',
  clippingIterations: 'iterations',
  normBound: 'normBound',
  mu: 'mu',
  minLocalEpochs: 'minLocalEpochs',
  maxLocalEpochs: 'maxLocalEpochs',
} as const satisfies Partial<Record<keyof typeof STRATEGY_SETTINGS, string>>;

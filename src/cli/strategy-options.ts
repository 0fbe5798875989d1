/**
 * Strategy parameters as config keys and flags. Each maps to a parameter of one or more strategies in the strategy
 * catalog; a key is only accepted when the chosen strategy takes that parameter, so a typo or a parameter of another
 * strategy is an error rather than silently ignored.
 */
import { FlotillaError } from '../core/index.js';
import { STRATEGY_CATALOG, STRATEGY_NAMES } from '../strategy/index.js';
import type { OptionSpec, OptionValues } from './options.js';

/** Config key -> strategy parameter name, where the parameter's own name would be ambiguous in a run config. */
const KEY_TO_PARAM: Readonly<Record<string, string>> = {
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
};

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  weightedAggregation:
    'weight client updates by their number of examples (false: every client counts the same)',
  serverLearningRate: 'fedavgm, fedadagrad, fedadam, fedyogi, scaffold, fltrust: server learning rate',
  serverMomentum: 'fedavgm: server momentum',
  beta1: 'fedadagrad, fedadam, fedyogi: first-moment decay',
  beta2: 'fedadam, fedyogi: second-moment decay',
  tau: 'fedadagrad, fedadam, fedyogi: adaptivity (epsilon); centered-clipping: clipping radius',
  initialV: 'fedadagrad, fedadam, fedyogi: initial second moment (default tau^2)',
  q: 'qfedavg: fairness exponent q (0 is FedAvg)',
  trimFraction: 'trimmed-mean: fraction trimmed from each end per coordinate',
  byzantine: 'krum, multi-krum, bulyan: number of Byzantine clients tolerated (f)',
  krumSelect: 'multi-krum: number of updates averaged (default n - f)',
  clippingIterations: 'centered-clipping: clipping iterations per round',
  normBound: 'norm-bounding: L2 bound applied to every update',
  mu: 'fedprox: proximal coefficient mu (clients add mu/2 ||w - w_global||^2 to their loss)',
  minLocalEpochs: 'fednova: fewest local epochs a client is given (random per client and round)',
  maxLocalEpochs: 'fednova: most local epochs a client is given (random per client and round)',
};

export const STRATEGY_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'strategy',
    type: 'enum',
    values: STRATEGY_NAMES,
    default: 'fedavg',
    description: 'aggregation strategy',
  },
  ...Object.keys(KEY_TO_PARAM).map((key): OptionSpec => {
    const param = KEY_TO_PARAM[key]!;
    const example = STRATEGY_CATALOG.flatMap((s) => s.params).find((p) => p.name === param);
    const type = example?.type ?? 'number';
    return {
      key,
      type,
      description: DESCRIPTIONS[key] ?? param,
      ...(key === 'byzantine' ? { aliases: ['f'] } : {}),
    };
  }),
  {
    key: 'localEpochsRange',
    type: 'string',
    description:
      'fednova: MIN-MAX local epochs drawn per client and round, e.g. 1-5 (sets minLocalEpochs, maxLocalEpochs)',
  },
];

/** "1-5" -> [1, 5]; CONFIG_INVALID naming the key otherwise. */
function parseRange(text: string): [number, number] {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const range = match ? [Number(match[1]), Number(match[2])] : [];
  if (range.length !== 2 || !(range[0]! >= 1 && range[0]! <= range[1]!)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `"localEpochsRange" must look like MIN-MAX with 1 <= MIN <= MAX, got "${text}"`,
      { key: 'localEpochsRange' },
    );
  }
  return [range[0]!, range[1]!];
}

/** The chosen strategy's parameters from the run options; refuses keys the strategy does not take. */
export function strategyParams(options: OptionValues): { name: string; params: Record<string, unknown> } {
  const name = String(options.strategy);
  const entry = STRATEGY_CATALOG.find((s) => s.name === name);
  if (!entry) throw new FlotillaError('CONFIG_INVALID', `unknown strategy "${name}"`, { key: 'strategy' });
  const accepted = new Set(entry.params.map((p) => p.name));
  const params: Record<string, unknown> = {};
  for (const [key, param] of Object.entries(KEY_TO_PARAM)) {
    const value = options[key];
    if (value === undefined) continue;
    if (!accepted.has(param)) {
      throw new FlotillaError('CONFIG_INVALID', `"${key}" does not apply to strategy "${name}"`, { key });
    }
    params[param] = value;
  }
  if (options.localEpochsRange !== undefined) {
    if (!accepted.has('minLocalEpochs')) {
      throw new FlotillaError('CONFIG_INVALID', `"localEpochsRange" does not apply to strategy "${name}"`, {
        key: 'localEpochsRange',
      });
    }
    if (params['minLocalEpochs'] !== undefined || params['maxLocalEpochs'] !== undefined) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        'give "localEpochsRange" or minLocalEpochs/maxLocalEpochs, not both',
        {
          key: 'localEpochsRange',
        },
      );
    }
    [params['minLocalEpochs'], params['maxLocalEpochs']] = parseRange(String(options.localEpochsRange));
  }
  return { name, params };
}

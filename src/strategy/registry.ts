/**
 * Strategies by name, as written in config files and on the command line. `createStrategy` validates the
 * parameters against the strategy's declared list (unknown key, wrong type, out of range or missing required value:
 * CONFIG_INVALID naming the key); `STRATEGY_CATALOG` describes every strategy and parameter for the CLI and README.
 */
import { FlotillaError } from '../core/index.js';
import { FedAvg } from './fedavg.js';
import { FEDAVGM_PARAMS, FedAvgM, type FedAvgMOptions } from './fedavgm.js';
import { FEDNOVA_PARAMS, FEDNOVA_REQUIRES, FedNova, type FedNovaOptions } from './fednova.js';
import { FEDPROX_PARAMS, FEDPROX_REQUIRES, FedProx, type FedProxOptions } from './fedprox.js';
import { FEDOPT_PARAMS, FedOpt, type FedOptOptions } from './fedopt.js';
import { NORM_BOUNDING_PARAMS, NormBounding, type NormBoundingOptions } from './norm-bounding.js';
import { resolveParams, type ParamSpec } from './params.js';
import { QFEDAVG_PARAMS, QFEDAVG_REQUIRES, QFedAvg, type QFedAvgOptions } from './qfedavg.js';
import { BULYAN_PARAMS, Bulyan, type BulyanOptions } from './robust/bulyan.js';
import { FLTRUST_PARAMS, FLTRUST_REQUIRES, FLTrust, type FLTrustOptions } from './robust/fltrust.js';
import { SCAFFOLD_PARAMS, SCAFFOLD_REQUIRES, Scaffold, type ScaffoldOptions } from './scaffold.js';
import {
  CENTERED_CLIPPING_PARAMS,
  CenteredClipping,
  type CenteredClippingOptions,
} from './robust/centered-clipping.js';
import {
  CoordinateMedian,
  MEDIAN_PARAMS,
  TRIMMED_MEAN_PARAMS,
  TrimmedMean,
  type TrimmedMeanOptions,
} from './robust/coordinate.js';
import {
  KRUM_PARAMS,
  Krum,
  MULTI_KRUM_PARAMS,
  type KrumOptions,
  type MultiKrumOptions,
} from './robust/krum.js';
import type { Strategy, StrategyRequirements } from './strategy.js';

export const FEDAVG_PARAMS: readonly ParamSpec[] = [
  { name: 'weighted', type: 'boolean', default: true, description: 'weight updates by number of examples' },
];

/**
 * The names of the built-in strategies, as the `strategy` setting takes them.
 * @example
 * ```ts
 * console.log(STRATEGY_NAMES.includes('fedavg')); // true
 * ```
 */
export const STRATEGY_NAMES = [
  'fedavg',
  'fedavgm',
  'fedprox',
  'fedadagrad',
  'fedadam',
  'fedyogi',
  'scaffold',
  'fednova',
  'qfedavg',
  'median',
  'trimmed-mean',
  'krum',
  'multi-krum',
  'bulyan',
  'centered-clipping',
  'fltrust',
  'norm-bounding',
] as const;

/**
 * The name of a built-in strategy.
 * @example
 * ```ts
 * const name: StrategyName = 'fedprox';
 * ```
 */
export type StrategyName = (typeof STRATEGY_NAMES)[number];

export interface StrategyDescription {
  readonly name: StrategyName;
  /** One line: what the strategy does. */
  readonly summary: string;
  /** The paper it implements. */
  readonly reference: string;
  /** Whether its aggregator folds results as they arrive (memory: one model) or buffers the round's updates. */
  readonly streaming: boolean;
  readonly params: readonly ParamSpec[];
  /** What it assumes of local training and the server (refused otherwise before a run starts). */
  readonly requires?: StrategyRequirements;
}

interface CatalogEntry extends StrategyDescription {
  /** Builds the strategy; constructors validate their options against `params` themselves. */
  readonly create: (params: Record<string, unknown>) => Strategy;
}

// The constructors validate untyped input at run time, so handing them a raw config object is safe.
const as = <T>(params: Record<string, unknown>): T => params as T;

const ENTRIES: readonly CatalogEntry[] = [
  {
    name: 'fedavg',
    summary: 'mean of the client updates',
    reference:
      'McMahan et al. 2017, Communication-Efficient Learning of Deep Networks from Decentralized Data',
    streaming: true,
    params: FEDAVG_PARAMS,
    create: (params) =>
      new FedAvg({ weighted: resolveParams('fedavg', FEDAVG_PARAMS, params).boolean('weighted') }),
  },
  {
    name: 'fedavgm',
    summary: 'FedAvg with server momentum',
    reference: 'Hsu, Qi and Brown 2019, Measuring the Effects of Non-Identical Data Distribution',
    streaming: true,
    params: FEDAVGM_PARAMS,
    create: (params) => new FedAvgM(as<FedAvgMOptions>(params)),
  },
  {
    name: 'fedprox',
    summary: 'FedAvg whose clients add the proximal term mu/2 ||w - w_global||^2 to their loss',
    reference: 'Li et al. 2020, Federated Optimization in Heterogeneous Networks',
    streaming: true,
    params: FEDPROX_PARAMS,
    requires: FEDPROX_REQUIRES,
    create: (params) => new FedProx(as<FedProxOptions>(params)),
  },
  {
    name: 'scaffold',
    summary: 'control variates correct client drift (server c travels with the model, clients keep c_i)',
    reference: 'Karimireddy et al. 2020, SCAFFOLD: Stochastic Controlled Averaging for Federated Learning',
    streaming: true,
    params: SCAFFOLD_PARAMS,
    requires: SCAFFOLD_REQUIRES,
    create: (params) => new Scaffold(as<ScaffoldOptions>(params)),
  },
  {
    name: 'fednova',
    summary: "averages updates normalized by each client's local steps (optionally random local epochs)",
    reference:
      'Wang et al. 2020, Tackling the Objective Inconsistency Problem in Heterogeneous Federated Optimization',
    streaming: true,
    params: FEDNOVA_PARAMS,
    requires: FEDNOVA_REQUIRES,
    create: (params) => new FedNova(as<FedNovaOptions>(params)),
  },
  ...(['fedadagrad', 'fedadam', 'fedyogi'] as const).map((name): CatalogEntry => ({
    name,
    summary: `adaptive server optimizer (${name.slice(3)}) applied to the mean update`,
    reference: 'Reddi et al. 2021, Adaptive Federated Optimization (Algorithm 2)',
    streaming: true,
    params: FEDOPT_PARAMS[name],
    create: (params) => new FedOpt(name, as<FedOptOptions>(params)),
  })),
  {
    name: 'qfedavg',
    summary: 'fair aggregation favouring clients with higher loss (clients report metrics.initialLoss)',
    reference: 'Li, Sanjabi, Beirami and Smith 2020, Fair Resource Allocation in Federated Learning',
    streaming: true,
    params: QFEDAVG_PARAMS,
    requires: QFEDAVG_REQUIRES,
    create: (params) => new QFedAvg(as<QFedAvgOptions>(params)),
  },
  {
    name: 'median',
    summary: 'coordinate-wise median of the updates',
    reference: 'Yin et al. 2018, Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates',
    streaming: false,
    params: MEDIAN_PARAMS,
    create: (params) => new CoordinateMedian(params),
  },
  {
    name: 'trimmed-mean',
    summary: 'coordinate-wise mean after dropping the largest and smallest values',
    reference: 'Yin et al. 2018, Byzantine-Robust Distributed Learning: Towards Optimal Statistical Rates',
    streaming: false,
    params: TRIMMED_MEAN_PARAMS,
    create: (params) => new TrimmedMean(as<TrimmedMeanOptions>(params)),
  },
  {
    name: 'krum',
    summary: 'the update closest to its n - f - 2 nearest neighbours',
    reference:
      'Blanchard et al. 2017, Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent',
    streaming: false,
    params: KRUM_PARAMS,
    create: (params) => new Krum(as<KrumOptions>(params)),
  },
  {
    name: 'multi-krum',
    summary: 'mean of the m updates with the best Krum scores',
    reference:
      'Blanchard et al. 2017, Machine Learning with Adversaries: Byzantine Tolerant Gradient Descent',
    streaming: false,
    params: MULTI_KRUM_PARAMS,
    create: (params) => new Krum(as<MultiKrumOptions>(params), true),
  },
  {
    name: 'bulyan',
    summary: 'iterated Krum selection, then a coordinate-wise mean around the median',
    reference:
      'El Mhamdi, Guerraoui and Rouault 2018, The Hidden Vulnerability of Distributed Learning in Byzantium',
    streaming: false,
    params: BULYAN_PARAMS,
    create: (params) => new Bulyan(as<BulyanOptions>(params)),
  },
  {
    name: 'centered-clipping',
    summary: 'iterative clipping around the previous aggregate',
    reference: 'Karimireddy, He and Jaggi 2021, Learning from History for Byzantine Robust Optimization',
    streaming: false,
    params: CENTERED_CLIPPING_PARAMS,
    create: (params) => new CenteredClipping(as<CenteredClippingOptions>(params)),
  },
  {
    name: 'fltrust',
    summary: "weights updates by ReLU(cosine) with the server's root-data update, rescaled to its norm",
    reference: 'Cao et al. 2021, FLTrust: Byzantine-robust Federated Learning via Trust Bootstrapping',
    streaming: true,
    params: FLTRUST_PARAMS,
    requires: FLTRUST_REQUIRES,
    create: (params) => new FLTrust(as<FLTrustOptions>(params)),
  },
  {
    name: 'norm-bounding',
    summary: 'FedAvg of updates clipped to an L2 norm bound',
    reference: 'Sun et al. 2019, Can You Really Backdoor Federated Learning?',
    streaming: true,
    params: NORM_BOUNDING_PARAMS,
    create: (params) => new NormBounding(as<NormBoundingOptions>(params)),
  },
];

const BY_NAME = new Map<string, CatalogEntry>(ENTRIES.map((entry) => [entry.name, entry]));

/** Every strategy with its parameters (name, type, default, meaning), in STRATEGY_NAMES order. */
export const STRATEGY_CATALOG: readonly StrategyDescription[] = STRATEGY_NAMES.map((name) => {
  const { create: _create, ...description } = BY_NAME.get(name)!;
  return description;
});

/**
 * Builds the named strategy; unknown names and invalid parameters throw CONFIG_INVALID naming the key.
 * @example
 * ```ts
 * const strategy = createStrategy('fedprox', { mu: 0.01 });
 * await simulate({ strategy });
 * ```
 */
export function createStrategy(name: string, params: Record<string, unknown> = {}): Strategy {
  const entry = BY_NAME.get(name);
  if (!entry) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `unknown strategy "${name}" (known: ${STRATEGY_NAMES.join(', ')})`,
      { key: 'strategy' },
    );
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    throw new FlotillaError('CONFIG_INVALID', `strategy "${name}": parameters must be an object`, {
      key: 'params',
    });
  }
  return entry.create(params);
}

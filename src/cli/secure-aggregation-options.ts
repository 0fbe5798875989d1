/**
 * The `secureAggregation` keys of a run config (simulate and server). In a config file it is one mapping, and any key
 * present turns it on (`secureAggregation: {}` or `true` turns it on with every default); on the command line
 * `--secure-aggregation` turns it on and `--secure-aggregation.threshold 0.7` and friends set one key (and turn it on
 * too). Defaults are the protocol's own (src/privacy/secagg/config.ts); whether the values are consistent with each
 * other and with the round's size is checked by the engine before the first round.
 */
import type { SecureAggregationConfig } from '../engine/index.js';
import { groupEnabled, type OptionSpec, type OptionValues } from './options.js';

export const SECURE_AGGREGATION_KEY = 'secureAggregation';

export const SECURE_AGGREGATION_OPTIONS: readonly OptionSpec[] = [
  {
    key: SECURE_AGGREGATION_KEY,
    type: 'boolean',
    default: false,
    description:
      "SecAgg+ secure aggregation: the server learns only the sum of each round's updates, even when clients drop out. In a config file a mapping of the keys below (any key present turns it on)",
  },
  {
    key: 'secureAggregation.neighbours',
    type: 'integer',
    min: 1,
    description:
      'k: masking neighbours per client on a random k-regular graph (SecAgg+); default min(n - 1, 2 ceil(1.5 log2 n)); n - 1 or more is the original protocol',
  },
  {
    key: 'secureAggregation.threshold',
    type: 'number',
    above: 0.5,
    description:
      "t: shares needed to recover a client's secrets, a count >= 2 or a fraction in (0.5, 1) of its group of k + 1; default floor((k + 1) / 2) + 1, the smallest safe value",
  },
  {
    key: 'secureAggregation.clippingRange',
    type: 'number',
    above: 0,
    description: 'update coordinates are clipped to [-r, r] before quantization; default 1',
  },
  {
    key: 'secureAggregation.quantizationBits',
    type: 'integer',
    min: 1,
    max: 31,
    description:
      'b: each coordinate becomes an integer in [0, 2^b - 1] by unbiased stochastic rounding; default 12',
  },
  {
    key: 'secureAggregation.modulusBits',
    type: 'integer',
    min: 2,
    max: 32,
    description:
      'm: masks and sums are modulo 2^m; it must hold n x maxWeight x (2^b - 1), checked at start; default 32',
  },
  {
    key: 'secureAggregation.maxWeight',
    type: 'integer',
    min: 1,
    description: 'client weights (example counts) are capped at this; default 256',
  },
  {
    key: 'secureAggregation.signed',
    type: 'boolean',
    description:
      'require signed key advertisements: each client verifies its neighbours against its roster of identity keys (`flotilla identity keygen`; clients need --identity and --roster; simulations make the identities); default false',
  },
  {
    key: 'secureAggregation.stageTimeout',
    type: 'number',
    above: 0,
    description: 'seconds each protocol stage after training waits for replies; default 30',
  },
];

const FIELDS = [
  'neighbours',
  'threshold',
  'clippingRange',
  'quantizationBits',
  'modulusBits',
  'maxWeight',
] as const;

/** The engine's secure-aggregation config, or undefined when it is off. */
export function resolveSecureAggregationOptions(v: OptionValues): SecureAggregationConfig | undefined {
  if (!groupEnabled(v, SECURE_AGGREGATION_KEY)) return undefined;
  const config: Record<string, number> = {};
  for (const field of FIELDS) {
    const value = v[`${SECURE_AGGREGATION_KEY}.${field}`];
    if (value !== undefined) config[field] = value as number;
  }
  const timeout = v[`${SECURE_AGGREGATION_KEY}.stageTimeout`];
  if (timeout !== undefined) config['stageTimeoutMs'] = (timeout as number) * 1000;
  const signed = v[`${SECURE_AGGREGATION_KEY}.signed`] === true;
  return { ...config, ...(signed ? { signed } : {}) };
}

/**
 * The `secureAggregation` group. In a config file it is one mapping and any key present turns it on
 * (`secureAggregation: {}` or `true` turns it on with every default); on the command line `--secure-aggregation`
 * turns it on and `--secure-aggregation.threshold 0.7` and friends set one key (and turn it on too). Defaults are the
 * protocol's own (src/privacy/secagg/config.ts), checked against each other and the round's size by the engine.
 */
import { z } from 'zod';
import { group } from './define.js';

export const SECURE_AGGREGATION_SETTINGS = {
  secureAggregation: group(
    {
      neighbours: z.int().min(1).optional().meta({
        description:
          'k: masking neighbours per client on a random k-regular graph (SecAgg+); default min(n - 1, 2 ceil(1.5 log2 n)); n - 1 or more is the original protocol',
      }),
      threshold: z.number().gt(0.5).optional().meta({
        description:
          "t: shares needed to recover a client's secrets, a count >= 2 or a fraction in (0.5, 1) of its group of k + 1; default floor((k + 1) / 2) + 1, the smallest safe value",
      }),
      clippingRange: z.number().gt(0).optional().meta({
        description: 'update coordinates are clipped to [-r, r] before quantization; default 1',
      }),
      quantizationBits: z.int().min(1).max(31).optional().meta({
        description:
          'b: each coordinate becomes an integer in [0, 2^b - 1] by unbiased stochastic rounding; default 12',
      }),
      modulusBits: z.int().min(2).max(32).optional().meta({
        description:
          'm: masks and sums are modulo 2^m; it must hold n x maxWeight x (2^b - 1), checked at start; default 32',
      }),
      maxWeight: z.int().min(1).optional().meta({
        description: 'client weights (example counts) are capped at this; default 256',
      }),
      signed: z.boolean().optional().meta({
        description:
          'require signed key advertisements: each client verifies its neighbours against its roster of identity keys (`flotilla identity keygen`; clients need --identity and --roster; simulations make the identities); default false',
      }),
      stageTimeout: z.number().gt(0).optional().meta({
        description: 'time each protocol stage after training waits for replies; default 30',
        unit: 'seconds',
      }),
    },
    {
      description:
        "SecAgg+ secure aggregation: the server learns only the sum of each round's updates, even when clients drop out. In a config file a mapping of the keys below (any key present turns it on)",
    },
  ),
};

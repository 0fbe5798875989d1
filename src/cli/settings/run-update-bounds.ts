/**
 * The per-client bounds of a run (engine/update-bounds.ts): how many examples one client may claim and how long its
 * update may be. Their defaults live in the engine (resolveEngineConfig), so a config that leaves them out gets
 * exactly what a library user gets.
 */
import { z } from 'zod';
import { count } from './define.js';

export const UPDATE_BOUND_SETTINGS = {
  maxExamplesPerClient: count().optional().meta({
    description:
      'most examples one client may claim in a reply (its weight in aggregation and evaluation); more is rejected; default 1000000',
  }),
  maxUpdateNorm: z.number().gt(0).optional().meta({
    description:
      "largest L2 norm of one client's update (of the round's mean update under secure or homomorphic aggregation); default 1000",
  }),
  updateNormAction: z.enum(['reject', 'clip']).optional().meta({
    description:
      "reject (default): a longer update is the client's failure; clip: it is scaled down to maxUpdateNorm",
  }),
};

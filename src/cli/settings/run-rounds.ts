/**
 * Run settings of the round engine: how many rounds, whom each selects, how long it waits, what it needs to commit.
 * The same keys, units and defaults in a simulation and a deployment.
 */
import { z } from 'zod';
import { count } from './define.js';

/**
 * Results a round needs to commit. A number in (0, 1] is a fraction of the clients selected for the round (1, the
 * default, is every selected client); a whole number >= 2 is a count of results, not capped by the selection (asking
 * for 5 results of 3 selected clients fails the attempt rather than quietly lowering the bar).
 */
export const minResults = z
  .number()
  .gt(0)
  .refine((v) => v <= 1 || Number.isInteger(v), {
    message: 'must be a fraction in (0, 1] or a whole count >= 2',
  });

export const ROUND_SETTINGS = {
  rounds: count().default(10).meta({ description: 'number of federated rounds' }),
  fraction: z
    .number()
    .gt(0)
    .max(1)
    .default(1)
    .meta({ description: 'fraction of the clients selected each round' }),
  minFitClients: count().default(1).meta({ description: 'fewest clients selected in a round' }),
  minResults: minResults.optional().meta({
    description:
      'results a round needs to commit: a fraction in (0, 1] of the selected clients, or a whole count >= 2; default 1, every selected client (a server with overSelection: clientsPerRound results)',
  }),
  deadline: z.number().gt(0).default(600).meta({
    description: 'time a client has to return its result',
    unit: 'seconds',
  }),
  maxRetries: count(0).default(2).meta({
    description: 'attempts with a fresh selection after a failed one, before the run fails',
  }),
  evaluateEvery: count(0).optional().meta({
    description:
      'federated evaluation on clients every N rounds, 0 never (default 1 when clients hold out test data, else 0)',
  }),
  seed: z
    .int()
    .min(0)
    .max(4294967295)
    .default(0)
    .meta({ description: 'seed of every random choice in the run' }),
};

/**
 * Run settings of the simulator's attack suite (sim/attacks.ts) and of FLTrust's root data. Only `flotilla simulate`
 * runs attacks; a server and a federation refuse them (attack-options.ts).
 */
import { z } from 'zod';
import { ATTACK_NAMES } from '../../sim/attacks.js';
import { count } from './define.js';

export const ATTACK_SETTINGS = {
  attack: z
    .enum(['none', ...ATTACK_NAMES])
    .default('none')
    .meta({
      description:
        'simulated Byzantine clients: sign-flip, scale, gaussian, label-flip, alie (Baruch et al. 2019), ipm (Xie et al. 2020)',
    }),
  attackers: z.number().gt(0).max(0.99).optional().meta({
    description: 'fraction of the clients that attack (chosen by the seed, listed in the history)',
  }),
  attackScale: z
    .number()
    .optional()
    .meta({ description: 'scale attack: factor applied to the update (default 10)' }),
  attackNoiseStd: z.number().gt(0).optional().meta({
    description: 'gaussian attack: standard deviation of the noise sent instead of the update (default 1)',
  }),
  ipmEpsilon: z.number().gt(0).optional().meta({
    description: 'ipm attack: attackers send -epsilon * mean of the benign updates (default 0.5)',
  }),
  alieZ: z.number().gt(0).optional().meta({
    description: 'alie attack: z in mean - z * std (default from the number of clients and attackers)',
  }),
  byzantineFromAttackers: z.boolean().default(false).meta({
    description:
      'krum, multi-krum, bulyan: set f to the number of attacking clients instead of giving byzantine',
  }),
  rootSize: count().default(100).meta({
    description: "fltrust: examples in the server's root dataset, drawn from the clients' training data",
  }),
};

/**
 * The simulator's attack suite and the server root data as config keys and flags (see sim/attacks.ts), and how
 * robust rules learn f. f is never guessed: it comes from `byzantine` (--f), or from the attackers fraction only
 * when the user asks with `byzantineFromAttackers`, which sets f to the number of attacking clients.
 */
import { FlotillaError } from '../core/index.js';
import { ATTACK_NAMES, attackerCount, type AttackConfig, type AttackName } from '../sim/attacks.js';
import type { OptionSpec, OptionValues } from './options.js';

export const ATTACK_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'attack',
    type: 'enum',
    values: ['none', ...ATTACK_NAMES],
    default: 'none',
    description:
      'simulated Byzantine clients: sign-flip, scale, gaussian, label-flip, alie (Baruch et al. 2019), ipm (Xie et al. 2020)',
  },
  {
    key: 'attackers',
    type: 'number',
    above: 0,
    max: 0.99,
    description: 'fraction of the clients that attack (chosen by the seed, listed in the history)',
  },
  {
    key: 'attackScale',
    type: 'number',
    description: 'scale attack: factor applied to the update (default 10)',
  },
  {
    key: 'attackNoiseStd',
    type: 'number',
    above: 0,
    description: 'gaussian attack: standard deviation of the noise sent instead of the update (default 1)',
  },
  {
    key: 'ipmEpsilon',
    type: 'number',
    above: 0,
    description: 'ipm attack: attackers send -epsilon * mean of the benign updates (default 0.5)',
  },
  {
    key: 'alieZ',
    type: 'number',
    above: 0,
    description: 'alie attack: z in mean - z * std (default from the number of clients and attackers)',
  },
  {
    key: 'byzantineFromAttackers',
    type: 'boolean',
    default: false,
    description:
      'krum, multi-krum, bulyan: set f to the number of attacking clients instead of giving byzantine',
  },
  {
    key: 'rootSize',
    type: 'integer',
    min: 1,
    default: 100,
    description: "fltrust: examples in the server's root dataset, drawn from the clients' training data",
  },
];

/** The attack the options ask for, if any; cross-checks attack and attackers. */
export function resolveAttack(v: OptionValues): AttackConfig | undefined {
  const name = v.attack as string | undefined;
  const fraction = v.attackers as number | undefined;
  if (name === undefined || name === 'none') {
    if (fraction !== undefined) {
      throw new FlotillaError('CONFIG_INVALID', '"attackers" needs "attack" (which attack they run)', {
        key: 'attackers',
      });
    }
    return undefined;
  }
  if (fraction === undefined) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `"attack" ${name} needs "attackers" (the fraction of attacking clients)`,
      {
        key: 'attackers',
      },
    );
  }
  return {
    name: name as AttackName,
    fraction,
    ...(v.attackScale !== undefined ? { scale: v.attackScale as number } : {}),
    ...(v.attackNoiseStd !== undefined ? { noiseStd: v.attackNoiseStd as number } : {}),
    ...(v.ipmEpsilon !== undefined ? { ipmEpsilon: v.ipmEpsilon as number } : {}),
    ...(v.alieZ !== undefined ? { alieZ: v.alieZ as number } : {}),
  };
}

/**
 * The `f` to give the strategy when the user asked for `byzantineFromAttackers`: the number of attacking clients
 * (as sim/attacks.ts chooses them), or undefined when not asked.
 */
export function byzantineFromAttackers(
  v: OptionValues,
  attack: AttackConfig | undefined,
): number | undefined {
  if (v.byzantineFromAttackers !== true) return undefined;
  if (v.byzantine !== undefined) {
    throw new FlotillaError('CONFIG_INVALID', 'give "byzantine" or "byzantineFromAttackers", not both', {
      key: 'byzantineFromAttackers',
    });
  }
  if (!attack) {
    throw new FlotillaError('CONFIG_INVALID', '"byzantineFromAttackers" needs an "attack" with "attackers"', {
      key: 'byzantineFromAttackers',
    });
  }
  return attackerCount(v.clients as number, attack.fraction);
}

/**
 * The simulator's attacks from the run settings (settings/run-attack.ts), and how robust rules learn f. f is never
 * guessed: it comes from `byzantine` (--f), or from the attackers fraction only when the user asks with
 * `byzantineFromAttackers`, which sets f to the number of attacking clients.
 */
import { FlotillaError } from '../core/index.js';
import { attackerCount, type AttackConfig } from '../sim/attacks.js';
import { ATTACK_SETTINGS, type RunSettings } from './settings/run-settings.js';

type AttackSettings = Pick<RunSettings, keyof typeof ATTACK_SETTINGS | 'clients' | 'byzantine'>;

/** The attack the settings ask for, if any; cross-checks attack and attackers. */
export function resolveAttack(v: AttackSettings): AttackConfig | undefined {
  const { attack: name, attackers: fraction } = v;
  if (name === 'none') {
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
    name,
    fraction,
    ...(v.attackScale !== undefined ? { scale: v.attackScale } : {}),
    ...(v.attackNoiseStd !== undefined ? { noiseStd: v.attackNoiseStd } : {}),
    ...(v.ipmEpsilon !== undefined ? { ipmEpsilon: v.ipmEpsilon } : {}),
    ...(v.alieZ !== undefined ? { alieZ: v.alieZ } : {}),
  };
}

/**
 * The `f` to give the strategy when the user asked for `byzantineFromAttackers`: the number of attacking clients
 * (as sim/attacks.ts chooses them), or undefined when not asked.
 */
export function byzantineFromAttackers(
  v: AttackSettings,
  attack: AttackConfig | undefined,
): number | undefined {
  if (!v.byzantineFromAttackers) return undefined;
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
  return attackerCount(v.clients, attack.fraction);
}

/**
 * A deployment's parties are its own processes: it refuses the simulated attacks (any attack key not at its default)
 * and FLTrust, whose root dataset a server does not hold, each in one line naming the key.
 */
export function refuseSimulatedAttacks(v: RunSettings, given: ReadonlySet<string>, command: string): void {
  for (const key of Object.keys(ATTACK_SETTINGS) as (keyof typeof ATTACK_SETTINGS)[]) {
    if (key === 'rootSize' || !given.has(key)) continue;
    if (key === 'attack' && v.attack === 'none') continue;
    if (key === 'byzantineFromAttackers' && !v.byzantineFromAttackers) continue;
    throw new FlotillaError(
      'CONFIG_INVALID',
      `"${key}" simulates attackers, which only \`flotilla simulate\` does; remove it to run ${command}`,
      { key },
    );
  }
}

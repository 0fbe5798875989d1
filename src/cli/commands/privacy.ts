/**
 * `flotilla privacy epsilon|noise`: plan a differentially private run with the RDP accountant. `epsilon` answers
 * "what does this noise cost?", `noise` answers "how much noise for this budget?".
 */
import { computeEpsilon, computeNoiseMultiplier } from '../../privacy/index.js';
import { z } from 'zod';
import { usageError, type Command } from '../command.js';
import { commandSettings, count, flagName } from '../settings/index.js';

const COMMON = {
  samplingRate: z.number().min(0).max(1).optional().meta({
    description: 'probability q that a client (or example) takes part in a step',
  }),
  steps: count(0).optional().meta({ description: 'number of rounds (or DP-SGD steps)' }),
  delta: z.number().gt(0).max(1).optional().meta({ description: 'the delta of (epsilon, delta)-DP' }),
  sampling: z.enum(['poisson', 'fixed-size']).default('poisson').meta({
    description:
      'poisson (each independently with probability q) or fixed-size (a uniform subset of size qN)',
  }),
  conversion: z.enum(['improved', 'classic']).default('improved').meta({
    description: 'RDP to (epsilon, delta): improved (Balle et al. 2020) or classic (Mironov 2017)',
  }),
  json: z.boolean().default(false).meta({ description: 'print a JSON object instead of text' }),
};

export const EPSILON_SCHEMA = z.strictObject({
  noiseMultiplier: z.number().gt(0).optional().meta({
    description: 'noise standard deviation over the clipping norm (z)',
  }),
  ...COMMON,
});
export const NOISE_SCHEMA = z.strictObject({
  epsilon: z.number().gt(0).optional().meta({ description: 'the target epsilon' }),
  ...COMMON,
});
const EPSILON_COMMAND = commandSettings(EPSILON_SCHEMA);
const NOISE_COMMAND = commandSettings(NOISE_SCHEMA);

/** The settings a subcommand cannot do without, named as flags when missing. */
function required<K extends string>(values: Record<K, number | undefined>, sub: string): Record<K, number> {
  const present: Partial<Record<K, number>> = {};
  const missing: string[] = [];
  for (const key of Object.keys(values) as K[]) {
    const value = values[key];
    if (value === undefined) missing.push(`--${flagName(key)}`);
    else present[key] = value;
  }
  if (missing.length > 0) throw usageError(`privacy ${sub} needs ${missing.join(', ')}`);
  return present as Record<K, number>;
}

type CommonSettings = z.output<z.ZodObject<typeof COMMON>>;

/**
 * The accountant's inputs both subcommands share, with the subcommand's own required value (`own`) checked in the
 * same pass so that one message names every missing flag.
 */
function inputs<K extends string>(
  v: CommonSettings,
  own: Record<K, number | undefined>,
  sub: 'epsilon' | 'noise',
) {
  const given = required(
    sub === 'epsilon'
      ? { samplingRate: v.samplingRate, ...own, steps: v.steps, delta: v.delta }
      : { ...own, samplingRate: v.samplingRate, steps: v.steps, delta: v.delta },
    sub,
  );
  const common = {
    samplingRate: given.samplingRate,
    steps: given.steps,
    delta: given.delta,
    sampling: v.sampling,
    conversion: v.conversion,
  };
  return { common, own: given as Record<K, number> };
}

function run(sub: 'epsilon' | 'noise', args: readonly string[]) {
  const check = (positionals: readonly string[]) => {
    if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"`);
  };
  if (sub === 'epsilon') {
    const { line, settings: v } = EPSILON_COMMAND.read(args);
    check(line.positionals);
    const { common, own } = inputs(v, { noiseMultiplier: v.noiseMultiplier }, sub);
    const noiseMultiplier = own.noiseMultiplier;
    return {
      json: v.json,
      common,
      result: { ...common, noiseMultiplier, ...computeEpsilon({ ...common, noiseMultiplier }) },
    };
  }
  const { line, settings: v } = NOISE_COMMAND.read(args);
  check(line.positionals);
  const { common, own } = inputs(v, { epsilon: v.epsilon }, sub);
  const targetEpsilon = own.epsilon;
  return {
    json: v.json,
    common,
    result: { ...common, targetEpsilon, ...computeNoiseMultiplier({ ...common, targetEpsilon }) },
  };
}

export const privacyCommand: Command = {
  name: 'privacy',
  summary: 'plan differential privacy: epsilon for a noise level, or noise for a budget',
  help: () =>
    [
      'Usage: flotilla privacy epsilon --sampling-rate Q --noise-multiplier Z --steps T --delta D [--json]',
      '       flotilla privacy noise --epsilon E --sampling-rate Q --steps T --delta D [--json]',
      '',
      'The RDP accountant of the sampled Gaussian mechanism (Mironov, Talwar and Zhang 2019) over 156 orders.',
      '',
      'epsilon options:',
      EPSILON_COMMAND.help(),
      '',
      'noise options:',
      NOISE_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'epsilon' && sub !== 'noise') {
      throw usageError('privacy needs a subcommand: epsilon or noise');
    }
    const { json, common, result } = run(sub, rest);
    if (json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else if (sub === 'epsilon') {
      process.stdout.write(
        `epsilon = ${result.epsilon.toPrecision(6)} at delta = ${common.delta} (order ${result.order}, ${result.conversion} conversion, ${common.sampling} sampling)\n`,
      );
    } else {
      const noise = result as typeof result & { noiseMultiplier: number };
      process.stdout.write(
        `noise multiplier = ${noise.noiseMultiplier.toPrecision(6)} gives epsilon = ${noise.epsilon.toPrecision(6)} at delta = ${common.delta} (order ${noise.order}, ${noise.conversion} conversion)\n`,
      );
    }
    return 0;
  },
};

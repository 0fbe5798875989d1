/**
 * `flotilla privacy epsilon|noise`: plan a differentially private run with the RDP accountant. `epsilon` answers
 * "what does this noise cost?", `noise` answers "how much noise for this budget?".
 */
import { computeEpsilon, computeNoiseMultiplier } from '../../privacy/index.js';
import type { Command } from '../command.js';
import {
  flagName,
  formatOptionHelp,
  mergeOptions,
  parseFlags,
  usageError,
  type OptionSpec,
} from '../options.js';

const COMMON: readonly OptionSpec[] = [
  {
    key: 'samplingRate',
    type: 'number',
    min: 0,
    max: 1,
    description: 'probability q that a client (or example) takes part in a step',
  },
  { key: 'steps', type: 'integer', min: 0, description: 'number of rounds (or DP-SGD steps)' },
  { key: 'delta', type: 'number', above: 0, max: 1, description: 'the delta of (epsilon, delta)-DP' },
  {
    key: 'sampling',
    type: 'enum',
    values: ['poisson', 'fixed-size'],
    default: 'poisson',
    description:
      'poisson (each independently with probability q) or fixed-size (a uniform subset of size qN)',
  },
  {
    key: 'conversion',
    type: 'enum',
    values: ['improved', 'classic'],
    default: 'improved',
    description: 'RDP to (epsilon, delta): improved (Balle et al. 2020) or classic (Mironov 2017)',
  },
  { key: 'json', type: 'boolean', default: false, description: 'print a JSON object instead of text' },
];

export const EPSILON_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'noiseMultiplier',
    type: 'number',
    above: 0,
    description: 'noise standard deviation over the clipping norm (z)',
  },
  ...COMMON,
];
export const NOISE_OPTIONS: readonly OptionSpec[] = [
  { key: 'epsilon', type: 'number', above: 0, description: 'the target epsilon' },
  ...COMMON,
];

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
      formatOptionHelp(EPSILON_OPTIONS),
      '',
      'noise options:',
      formatOptionHelp(NOISE_OPTIONS),
    ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'epsilon' && sub !== 'noise') {
      throw usageError('privacy needs a subcommand: epsilon or noise');
    }
    const specs = sub === 'epsilon' ? EPSILON_OPTIONS : NOISE_OPTIONS;
    const parsed = parseFlags(specs, rest);
    if (parsed.positionals.length > 0) throw usageError(`unexpected argument "${parsed.positionals[0]}"`);
    const v = mergeOptions(specs, parsed.values);
    const needed =
      sub === 'epsilon'
        ? ['samplingRate', 'noiseMultiplier', 'steps', 'delta']
        : ['epsilon', 'samplingRate', 'steps', 'delta'];
    const missing = needed.filter((k) => v[k] === undefined);
    if (missing.length > 0) {
      throw usageError(`privacy ${sub} needs ${missing.map((k) => `--${flagName(k)}`).join(', ')}`);
    }
    const common = {
      samplingRate: v.samplingRate as number,
      steps: v.steps as number,
      delta: v.delta as number,
      sampling: v.sampling as 'poisson' | 'fixed-size',
      conversion: v.conversion as 'improved' | 'classic',
    };
    const result =
      sub === 'epsilon'
        ? {
            ...common,
            noiseMultiplier: v.noiseMultiplier as number,
            ...computeEpsilon({ ...common, noiseMultiplier: v.noiseMultiplier as number }),
          }
        : {
            ...common,
            targetEpsilon: v.epsilon as number,
            ...computeNoiseMultiplier({ ...common, targetEpsilon: v.epsilon as number }),
          };
    if (v.json) {
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

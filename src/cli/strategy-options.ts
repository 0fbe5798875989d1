/**
 * The chosen strategy's parameters from the run settings (settings/run-strategy.ts). A parameter key is accepted only
 * when the chosen strategy takes that parameter, so a typo or a parameter of another strategy is an error rather
 * than silently ignored.
 */
import { FlotillaError } from '../core/index.js';
import { STRATEGY_CATALOG } from '../strategy/index.js';
import { STRATEGY_PARAMS, type RunSettings } from './settings/run-settings.js';

type StrategySettings = Pick<RunSettings, 'strategy' | 'localEpochsRange' | keyof typeof STRATEGY_PARAMS>;

/** "1-5" -> [1, 5]; CONFIG_INVALID naming the key otherwise. */
function parseRange(text: string): [number, number] {
  const match = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  const range = match ? [Number(match[1]), Number(match[2])] : [];
  if (range.length !== 2 || !(range[0]! >= 1 && range[0]! <= range[1]!)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `"localEpochsRange" must look like MIN-MAX with 1 <= MIN <= MAX, got "${text}"`,
      { key: 'localEpochsRange' },
    );
  }
  return [range[0]!, range[1]!];
}

/** The chosen strategy's parameters from the run settings; refuses keys the strategy does not take. */
export function strategyParams(settings: StrategySettings): {
  name: string;
  params: Record<string, unknown>;
} {
  const name = settings.strategy;
  const entry = STRATEGY_CATALOG.find((s) => s.name === name);
  if (!entry) throw new FlotillaError('CONFIG_INVALID', `unknown strategy "${name}"`, { key: 'strategy' });
  const accepted = new Set(entry.params.map((p) => p.name));
  const params: Record<string, unknown> = {};
  for (const [key, param] of Object.entries(STRATEGY_PARAMS)) {
    const value = settings[key as keyof typeof STRATEGY_PARAMS];
    if (value === undefined) continue;
    if (!accepted.has(param)) {
      throw new FlotillaError('CONFIG_INVALID', `"${key}" does not apply to strategy "${name}"`, { key });
    }
    params[param] = value;
  }
  if (settings.localEpochsRange !== undefined) {
    if (!accepted.has('minLocalEpochs')) {
      throw new FlotillaError('CONFIG_INVALID', `"localEpochsRange" does not apply to strategy "${name}"`, {
        key: 'localEpochsRange',
      });
    }
    if (params['minLocalEpochs'] !== undefined || params['maxLocalEpochs'] !== undefined) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        'give "localEpochsRange" or minLocalEpochs/maxLocalEpochs, not both',
        {
          key: 'localEpochsRange',
        },
      );
    }
    [params['minLocalEpochs'], params['maxLocalEpochs']] = parseRange(settings.localEpochsRange);
  }
  return { name, params };
}

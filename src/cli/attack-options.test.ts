import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { byzantineFromAttackers, resolveAttack } from './attack-options.js';
import { RUN_SCHEMA } from './settings/run-settings.js';
import { strategyParams } from './strategy-options.js';

/** Run settings with every default, as the commands read them. */
const run = (values: Record<string, unknown>) => RUN_SCHEMA.parse(values);

function configError(fn: () => unknown): { key: unknown; message: string } {
  try {
    fn();
  } catch (error) {
    if (isFlotillaError(error, 'CONFIG_INVALID'))
      return { key: error.details['key'], message: error.message };
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('strategy keys of issue 4', () => {
  it('maps mu and localEpochsRange to their strategies only', () => {
    expect(strategyParams({ strategy: 'fedprox', mu: 0.1 })).toEqual({
      name: 'fedprox',
      params: { mu: 0.1 },
    });
    expect(strategyParams({ strategy: 'fednova', localEpochsRange: '1-5' }).params).toEqual({
      minLocalEpochs: 1,
      maxLocalEpochs: 5,
    });
    expect(configError(() => strategyParams({ strategy: 'fedavg', mu: 0.1 })).key).toBe('mu');
    expect(configError(() => strategyParams({ strategy: 'fednova', localEpochsRange: '5-1' })).key).toBe(
      'localEpochsRange',
    );
    expect(configError(() => strategyParams({ strategy: 'scaffold', localEpochsRange: '1-2' })).key).toBe(
      'localEpochsRange',
    );
  });
});

describe('attack keys', () => {
  it('needs attack and attackers together', () => {
    expect(resolveAttack(run({ attack: 'none' }))).toBeUndefined();
    expect(resolveAttack(run({ attack: 'scale', attackers: 0.2, attackScale: -4 }))).toEqual({
      name: 'scale',
      fraction: 0.2,
      scale: -4,
    });
    expect(configError(() => resolveAttack(run({ attack: 'alie' }))).key).toBe('attackers');
    expect(configError(() => resolveAttack(run({ attack: 'none', attackers: 0.2 }))).key).toBe('attackers');
  });

  it('takes f from the attackers only when asked, never together with byzantine', () => {
    const attack = resolveAttack(run({ attack: 'sign-flip', attackers: 0.2 }));
    expect(byzantineFromAttackers(run({ clients: 10 }), attack)).toBeUndefined();
    expect(byzantineFromAttackers(run({ clients: 10, byzantineFromAttackers: true }), attack)).toBe(2);
    expect(
      configError(() =>
        byzantineFromAttackers(run({ clients: 10, byzantineFromAttackers: true, byzantine: 1 }), attack),
      ).key,
    ).toBe('byzantineFromAttackers');
    expect(
      configError(() => byzantineFromAttackers(run({ byzantineFromAttackers: true }), undefined)).key,
    ).toBe('byzantineFromAttackers');
  });
});

import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { requiredResults, resolveEngineConfig, selectionSize } from './config.js';

describe('resolveEngineConfig', () => {
  it('fills defaults', () => {
    const c = resolveEngineConfig({ rounds: 3 });
    expect(c).toMatchObject({ rounds: 3, fractionFit: 1, minFitClients: 1, maxRetries: 2, optimizer: 'sgd' });
    expect(c.minResults).toEqual({ fraction: 0.5 });
    expect(c.evaluateDeadlineMs).toBe(c.fitDeadlineMs);
    expect(c).toMatchObject({
      maxExamplesPerClient: 1_000_000,
      maxUpdateNorm: 1000,
      updateNormAction: 'reject',
    });
  });

  it.each([
    [{ rounds: 0 }, 'rounds'],
    [{ rounds: 2, fractionFit: 0 }, 'fractionFit'],
    [{ rounds: 2, fractionFit: 0.5, clientsPerRound: 3 }, 'exclusive'],
    [{ rounds: 2, minResults: 2.5 }, 'minResults'],
    [{ rounds: 2, momentum: 1 }, 'momentum'],
    [{ rounds: 2, learningRate: Number.NaN }, 'learningRate'],
    [{ rounds: 2, optimizer: 'rmsprop' as 'sgd' }, 'optimizer'],
    [{ rounds: 2, maxExamplesPerClient: 0 }, 'maxExamplesPerClient'],
    [{ rounds: 2, maxExamplesPerClient: 2.5 }, 'maxExamplesPerClient'],
    [{ rounds: 2, maxUpdateNorm: 0 }, 'maxUpdateNorm'],
    [{ rounds: 2, maxUpdateNorm: Number.POSITIVE_INFINITY }, 'maxUpdateNorm'],
    [{ rounds: 2, updateNormAction: 'drop' as 'clip' }, 'updateNormAction'],
  ])('rejects %j naming the key', (config, key) => {
    let error: unknown;
    try {
      resolveEngineConfig(config);
    } catch (e) {
      error = e;
    }
    expect(isFlotillaError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain(key);
  });

  it('reads minResults below 1 as a fraction and from 1 up as a count', () => {
    expect(resolveEngineConfig({ rounds: 1, minResults: 0.8 }).minResults).toEqual({ fraction: 0.8 });
    expect(resolveEngineConfig({ rounds: 1, minResults: 1 }).minResults).toEqual({ count: 1 });
    expect(resolveEngineConfig({ rounds: 1, minResults: { fraction: 1 } }).minResults).toEqual({
      fraction: 1,
    });
  });
});

describe('selection arithmetic', () => {
  it('selects a fraction rounded up, at least minFitClients, at most what is available', () => {
    expect(selectionSize(resolveEngineConfig({ rounds: 1, fractionFit: 0.1 }), 50)).toBe(5);
    expect(selectionSize(resolveEngineConfig({ rounds: 1, fractionFit: 0.1 }), 51)).toBe(6);
    expect(selectionSize(resolveEngineConfig({ rounds: 1, fractionFit: 0.1, minFitClients: 8 }), 50)).toBe(8);
    expect(selectionSize(resolveEngineConfig({ rounds: 1, clientsPerRound: 20 }), 12)).toBe(12);
  });

  it('needs a fraction of the selected clients (at least one) or a fixed count', () => {
    expect(requiredResults(resolveEngineConfig({ rounds: 1, minResults: 0.5 }), 5)).toBe(3);
    expect(requiredResults(resolveEngineConfig({ rounds: 1, minResults: 0.01 }), 5)).toBe(1);
    expect(requiredResults(resolveEngineConfig({ rounds: 1, minResults: { count: 4 } }), 3)).toBe(4);
  });
});

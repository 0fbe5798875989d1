import { describe, expect, it } from 'vitest';
import { Rng } from '../core/index.js';
import { backoffMs, clientsNeeded } from './availability.js';
import { resolveEngineConfig, type EngineConfig } from './config.js';
import { roundFailure } from './round-failure.js';

const resolved = (config: Partial<EngineConfig>) => resolveEngineConfig({ rounds: 1, ...config });

describe('clientsNeeded', () => {
  it('is the selection floor, a count of results, 2 under secure aggregation, and never below 1', () => {
    expect(clientsNeeded(resolved({}))).toBe(1);
    expect(clientsNeeded(resolved({ minFitClients: 3 }))).toBe(3);
    expect(clientsNeeded(resolved({ minResults: 4, minFitClients: 2 }))).toBe(4);
    // A fraction of the selection is met by any selection; clientsPerRound is capped by the clients connected.
    expect(clientsNeeded(resolved({ minResults: 0.9, clientsPerRound: 10 }))).toBe(1);
    expect(clientsNeeded(resolved({ secureAggregation: {} }))).toBe(2);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt up to the maximum, jittered into [half, full) by the seeded stream', () => {
    const config = resolved({ retryBackoffMs: 1000, retryBackoffMaxMs: 5000 });
    for (const [attempt, full] of [
      [1, 1000],
      [2, 2000],
      [3, 4000],
      [4, 5000],
      [9, 5000],
    ] as const) {
      for (let seed = 0; seed < 20; seed++) {
        const ms = backoffMs(config, attempt, new Rng(seed));
        expect(ms).toBeGreaterThanOrEqual(full / 2);
        expect(ms).toBeLessThanOrEqual(full);
      }
    }
    expect(backoffMs(config, 2, new Rng(7))).toBe(backoffMs(config, 2, new Rng(7)));
    expect(backoffMs(resolved({ retryBackoffMs: 0 }), 3, new Rng(1))).toBe(0);
  });

  it('refuses a maximum below the base', () => {
    expect(() => resolved({ retryBackoffMs: 2000, retryBackoffMaxMs: 1000 })).toThrow(
      /"retryBackoffMaxMs" \(1000\) must be at least retryBackoffMs \(2000\)/,
    );
    expect(() => resolved({ clientWaitTimeoutMs: -1 })).toThrow(
      /"clientWaitTimeoutMs" must be a finite number >= 0/,
    );
  });
});

describe('roundFailure', () => {
  const failure = (clientId: string, cause: string) => ({ clientId, cause, message: cause });

  it('leads with the cause that kept the attempts short', () => {
    const error = roundFailure(3, [
      {
        attempt: 1,
        selected: ['a', 'b'],
        reason: '0 of 2 returned',
        failures: [failure('a', 'deadline'), failure('b', 'deadline')],
      },
      {
        attempt: 2,
        selected: ['a', 'c'],
        reason: '1 of 2 returned',
        failures: [failure('c', 'disconnected')],
      },
    ]);
    expect(error.code).toBe('ROUND_FAILED');
    expect(error.message).toBe(
      'round 3 failed after 2 attempt(s): clients kept missing the fit deadline (raise deadline, or lower minResults) ' +
        '(2 of the failures; all: 2 deadline, 1 disconnected); attempt 1: 0 of 2 returned; attempt 2: 1 of 2 returned',
    );
  });

  it('says when the strategy, not the clients, failed every attempt', () => {
    const error = roundFailure(1, [
      { attempt: 1, selected: ['a'], reason: 'aggregation failed: too few for krum', failures: [] },
    ]);
    expect(error.message).toMatch(
      /^round 1 failed after 1 attempt\(s\): the strategy could not aggregate the results;/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { availabilityConfig } from './availability-options.js';
import { readRunOptions } from './commands/simulate.js';

const values = (args: string[]) => readRunOptions(args, 'simulate');

describe('availability settings', () => {
  it('turn seconds into the engine milliseconds, waiting without limit by default', () => {
    expect(availabilityConfig(values([]))).toEqual({
      clientWaitTimeoutMs: 0,
      retryBackoffMs: 1000,
      retryBackoffMaxMs: 30_000,
    });
    expect(
      availabilityConfig(
        values(['--client-wait-timeout', '600', '--retry-backoff', '0.25', '--retry-backoff-max', '5']),
      ),
    ).toEqual({ clientWaitTimeoutMs: 600_000, retryBackoffMs: 250, retryBackoffMaxMs: 5000 });
  });

  it('refuse a longest pause below the first one, naming both keys', () => {
    let error: unknown;
    try {
      availabilityConfig(values(['--retry-backoff', '5', '--retry-backoff-max', '2']));
    } catch (e) {
      error = e;
    }
    expect(isFlotillaError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toBe('"retryBackoffMax" (2 s) must be at least "retryBackoff" (5 s)');
  });
});

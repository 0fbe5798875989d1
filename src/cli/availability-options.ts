/** The availability settings (settings/run-availability.ts) in the engine's units. */
import { FlotillaError } from '../core/index.js';
import type { EngineConfig } from '../engine/index.js';
import type { RunSettings } from './settings/run-settings.js';

type Availability = Pick<RunSettings, 'clientWaitTimeout' | 'retryBackoff' | 'retryBackoffMax'>;

export function availabilityConfig(
  v: Availability,
): Pick<EngineConfig, 'clientWaitTimeoutMs' | 'retryBackoffMs' | 'retryBackoffMaxMs'> {
  if (v.retryBackoffMax < v.retryBackoff) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `"retryBackoffMax" (${v.retryBackoffMax} s) must be at least "retryBackoff" (${v.retryBackoff} s)`,
      { key: 'retryBackoffMax' },
    );
  }
  return {
    clientWaitTimeoutMs: Math.round(v.clientWaitTimeout * 1000),
    retryBackoffMs: Math.round(v.retryBackoff * 1000),
    retryBackoffMaxMs: Math.round(v.retryBackoffMax * 1000),
  };
}

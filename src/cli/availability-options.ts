/**
 * How a run copes with clients that come and go (simulate, server, federation): how long a round waits for the
 * clients it needs, and the pause between the attempts of a round (src/engine/availability.ts). Seconds on the
 * command line and in config files, milliseconds in the engine. A simulation's clients never come and go, so there
 * these keys change nothing but the pause its retries report.
 */
import { FlotillaError } from '../core/index.js';
import type { EngineConfig } from '../engine/index.js';
import type { OptionSpec, OptionValues } from './options.js';

export const AVAILABILITY_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'clientWaitTimeout',
    type: 'number',
    default: 0,
    min: 0,
    description:
      'seconds a round waits for the clients it needs to connect before the run fails; 0 waits without limit',
  },
  {
    key: 'retryBackoff',
    type: 'number',
    default: 1,
    min: 0,
    description:
      'seconds before the first retry of a failed round attempt; doubles with each retry, with seeded jitter',
  },
  {
    key: 'retryBackoffMax',
    type: 'number',
    default: 30,
    min: 0,
    description: 'longest pause in seconds between two attempts of a round',
  },
];

export function availabilityConfig(
  v: OptionValues,
): Pick<EngineConfig, 'clientWaitTimeoutMs' | 'retryBackoffMs' | 'retryBackoffMaxMs'> {
  const ms = (key: string) => Math.round((v[key] as number) * 1000);
  if ((v.retryBackoffMax as number) < (v.retryBackoff as number)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `"retryBackoffMax" (${String(v.retryBackoffMax)} s) must be at least "retryBackoff" (${String(v.retryBackoff)} s)`,
      { key: 'retryBackoffMax' },
    );
  }
  return {
    clientWaitTimeoutMs: ms('clientWaitTimeout'),
    retryBackoffMs: ms('retryBackoff'),
    retryBackoffMaxMs: ms('retryBackoffMax'),
  };
}

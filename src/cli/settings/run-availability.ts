/**
 * How a run copes with clients that come and go (simulate, server, federation): how long a round waits for the
 * clients it needs, and the pause between the attempts of a round (src/engine/availability.ts). Seconds in config
 * files and flags, milliseconds in the engine. A simulation's clients never come and go, so there these keys change
 * nothing but the pause its retries report.
 */
import { z } from 'zod';

export const AVAILABILITY_SETTINGS = {
  clientWaitTimeout: z.number().min(0).default(0).meta({
    description:
      'time a round waits for the clients it needs to connect before the run fails; 0 waits without limit',
    unit: 'seconds',
  }),
  retryBackoff: z.number().min(0).default(1).meta({
    description:
      'pause before the first retry of a failed round attempt; doubles with each retry, with seeded jitter',
    unit: 'seconds',
  }),
  retryBackoffMax: z.number().min(0).default(30).meta({
    description: 'longest pause between two attempts of a round',
    unit: 'seconds',
  }),
};

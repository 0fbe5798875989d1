/**
 * The error that ends a run whose round used up its attempts. Its message leads with what kept going wrong, so an
 * operator can tell clients that kept missing the deadline from clients that kept dropping, results the strategy
 * kept rejecting, or a strategy that could not aggregate, before reading each attempt's own reason.
 */
import { FlotillaError } from '../core/index.js';
import type { FailedAttempt } from './history.js';

/** What a client failure cause means when it is why every attempt fell short. */
const CAUSES: Readonly<Record<string, string>> = {
  deadline: 'clients kept missing the fit deadline (raise deadline, or lower minResults)',
  disconnected: 'clients kept disconnecting during the round',
  unavailable: 'selected clients kept being unreachable',
  backpressure: 'clients kept falling behind on their connection (backpressure)',
  rejected: 'the strategy kept rejecting the results clients sent',
  'client-error': 'clients kept failing their task (their trainer threw)',
  'invalid-result': 'clients kept sending invalid results',
  'non-finite': 'clients kept sending non-finite updates',
};

function headline(attempts: readonly FailedAttempt[]): string {
  if (attempts.every((a) => a.reason.startsWith(AGGREGATION_FAILED))) {
    return 'the strategy could not aggregate the results';
  }
  const counts = new Map<string, number>();
  for (const a of attempts) {
    for (const f of a.failures) counts.set(f.cause, (counts.get(f.cause) ?? 0) + 1);
  }
  if (counts.size === 0) return 'no attempt had enough clients';
  const [cause, count] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
  const tally = [...counts].map(([c, n]) => `${n} ${c}`).join(', ');
  return `${CAUSES[cause] ?? `clients kept failing with "${cause}"`} (${count} of the failures; all: ${tally})`;
}

/** Causes a client's own code produced: its message says what to fix, so the error quotes the first one. */
const QUOTED_CAUSES: ReadonlySet<string> = new Set(['client-error', 'invalid-result', 'non-finite']);

/** The first failure the client's own code caused (the latest attempt first), as "client: message". */
function firstClientMessage(attempts: readonly FailedAttempt[]): string | undefined {
  for (const a of [...attempts].reverse()) {
    const f = a.failures.find((failure) => QUOTED_CAUSES.has(failure.cause));
    if (f) return `${f.clientId}: ${f.message}`;
  }
  return undefined;
}

/** The reason the engine gives an attempt whose strategy refused to aggregate its results. */
export const AGGREGATION_FAILED = 'aggregation failed';

export function roundFailure(round: number, attempts: readonly FailedAttempt[]): FlotillaError {
  const reasons = attempts.map((f) => `attempt ${f.attempt}: ${f.reason}`).join('; ');
  const quoted = firstClientMessage(attempts);
  return new FlotillaError(
    'ROUND_FAILED',
    `round ${round} failed after ${attempts.length} attempt(s): ${headline(attempts)}; ${reasons}${quoted ? `; first: ${quoted}` : ''}`,
    { round, attempts },
  );
}

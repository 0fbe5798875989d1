/**
 * When a round may start, and how long to pause between its attempts. Clients of a deployment come and go (a
 * restart, a network blip); a round that finds too few of them connected waits for them instead of burning its
 * retries, and a failed attempt is followed by a pause that doubles with each retry, so a run fails only for a cause
 * that waiting cannot fix.
 *
 * A pool whose clients come and go says so by implementing `waitForClients` (the WebSocket pool). A pool without it
 * has a fixed set of clients (the simulation's in-process and worker pools): waiting could not change what it
 * offers, so nothing is waited for and retries follow at once. The pause is still drawn (from the run's seeded
 * stream) and reported, so a simulated run reports the same schedule it would follow in deployment, but it does not
 * spend wall time on it.
 */
import { FlotillaError, type Rng } from '../core/index.js';
import type { ResolvedEngineConfig } from './config.js';
import type { EngineEmitter } from './events.js';
import type { ClientPool } from './pool.js';

/**
 * Clients that must be connected before a round selects: the selection floor (`minFitClients`), the results a round
 * needs when that is a count (a fraction of the selection is met by any selection), at least 2 under secure
 * aggregation, and at least 1. `fractionFit` and `clientsPerRound` do not raise it: they size the selection among
 * the clients connected and are capped by them by design, so waiting for them could wait for clients that never
 * exist.
 */
export function clientsNeeded(config: ResolvedEngineConfig): number {
  const results = 'count' in config.minResults ? config.minResults.count : 1;
  const secure = config.secureAggregation ? 2 : 1;
  return Math.max(config.minFitClients, results, secure);
}

/**
 * The pause before attempt `attempt + 1` after attempt `attempt` failed: base x 2^(attempt-1), capped at the maximum,
 * scaled by a factor in [0.5, 1) from `rng` so clients that dropped together are not all retried in lockstep.
 */
export function backoffMs(config: ResolvedEngineConfig, attempt: number, rng: Rng): number {
  const exponential = Math.min(config.retryBackoffMaxMs, config.retryBackoffMs * 2 ** (attempt - 1));
  return Math.round(exponential * (0.5 + rng.next() / 2));
}

/** Resolves after `ms`, or as soon as `signal` aborts; false when it aborted. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve(!signal?.aborted);
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

export class RoundAvailability {
  private readonly floor: number;

  /**
   * `population`, when given, is the number of clients a selection must be drawn from (central DP in a deployment:
   * every registered client, the population the accountant's sampling rate refers to); a round then waits until that
   * many are connected.
   */
  constructor(
    private readonly pool: ClientPool,
    private readonly config: ResolvedEngineConfig,
    private readonly events: EngineEmitter,
    private readonly rng: Rng,
    private readonly population?: () => number,
  ) {
    this.floor = clientsNeeded(config);
  }

  private get needed(): number {
    return Math.max(this.floor, this.population?.() ?? 0);
  }

  /**
   * Before an attempt selects: waits until enough clients are connected. Returns false when `signal` aborted the
   * wait; throws CLIENT_WAIT_TIMEOUT when the wait outlasted `clientWaitTimeoutMs`, ROUND_FAILED when the pool closed.
   */
  async ready(round: number, attempt: number, signal: AbortSignal | undefined): Promise<boolean> {
    const { pool, needed } = this;
    if (!pool.waitForClients || pool.available().length >= needed) return true;
    this.events.emit('waiting-for-clients', {
      round,
      attempt,
      needed,
      connected: pool.available().length,
    });
    const limitMs = this.config.clientWaitTimeoutMs;
    const timeout = limitMs > 0 ? AbortSignal.timeout(limitMs) : undefined;
    const stop = signal && timeout ? AbortSignal.any([signal, timeout]) : (signal ?? timeout);
    const started = Date.now();
    await pool.waitForClients(needed, stop);
    const connected = pool.available().length;
    if (connected >= needed) return true;
    if (signal?.aborted) return false;
    if (timeout?.aborted) {
      throw new FlotillaError(
        'CLIENT_WAIT_TIMEOUT',
        `round ${round} waited ${Math.round((Date.now() - started) / 1000)} s for ${needed} client(s), ` +
          `${connected} connected (clientWaitTimeout is ${limitMs / 1000} s)`,
        { round, needed, connected },
      );
    }
    throw new FlotillaError(
      'ROUND_FAILED',
      `round ${round}: the client pool closed while waiting for ${needed} client(s)`,
      { round },
    );
  }

  /**
   * The pause after failed attempt `attempt` of `round`, drawn from the run's seeded stream. Only a pool whose
   * clients come and go spends it (see the module comment).
   */
  retryDelay(round: number, attempt: number): number {
    return backoffMs(this.config, attempt, this.rng.split('backoff', round, attempt));
  }

  /** Waits `ms` before the next attempt; false when `signal` aborted the pause. */
  async pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
    if (!this.pool.waitForClients) return !signal?.aborted;
    return pause(ms, signal);
  }
}

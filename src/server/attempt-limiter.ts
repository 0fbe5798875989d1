/**
 * Limits guesses of a secret checked with scrypt (an admin token, an enrolment code) so that guessing can neither
 * succeed by volume nor starve the libuv thread pool that verifies client tokens at every hello (admin-guard.ts says
 * what happened without it):
 *
 * - Per address, a token bucket of attempts: each attempt takes one before it runs (so a burst of concurrent
 *   requests cannot all get through before the first failure is known), a successful one gives it back, and an
 *   address with none left is refused with the seconds to wait, at no scrypt cost.
 * - One attempt at a time, with a short bounded queue (refused beyond it): attempts occupy at most one thread of the
 *   pool whatever the number of addresses.
 */

export interface AttemptLimiterOptions {
  /** Attempts an address may make at once before it must wait. Default 5. */
  readonly burst?: number;
  /** Attempts an address earns back per minute. Default 6 (one every 10 s). */
  readonly perMinute?: number;
  /** Attempts that may wait behind the running one; more are refused at once. Default 8. */
  readonly maxQueued?: number;
  /** Addresses remembered; past it, idle ones (full buckets) are forgotten first. Default 10 000. */
  readonly maxAddresses?: number;
  readonly now?: () => number;
}

export type Limited<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  last: number;
}

export class AttemptLimiter {
  private readonly burst: number;
  private readonly perMs: number;
  private readonly maxQueued: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;

  constructor(options: AttemptLimiterOptions = {}) {
    this.burst = options.burst ?? 5;
    this.perMs = (options.perMinute ?? 6) / 60_000;
    this.maxQueued = options.maxQueued ?? 8;
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Runs `work` for `address` unless it has no attempt left or the queue is full. A result `succeeded` approves
   * gives the attempt back; a thrown error counts as a failed attempt and is rethrown.
   */
  async attempt<T>(
    address: string,
    work: () => Promise<T>,
    succeeded: (value: T) => boolean,
  ): Promise<Limited<T>> {
    const bucket = this.bucket(address);
    if (bucket.tokens < 1) {
      return { ok: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / this.perMs / 1000) };
    }
    if (this.queued > this.maxQueued) return { ok: false, retryAfterSeconds: 1 };
    bucket.tokens -= 1;
    const value = await this.serially(work);
    if (succeeded(value)) bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
    return { ok: true, value };
  }

  /** Runs attempts one after another; `queued` counts the running one and those waiting. */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    this.queued++;
    const run = this.queue.then(fn).finally(() => this.queued--);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The address's bucket, refilled for the time since it was last used. */
  private bucket(address: string): Bucket {
    const t = this.now();
    let bucket = this.buckets.get(address);
    if (bucket) {
      bucket.tokens = Math.min(this.burst, bucket.tokens + (t - bucket.last) * this.perMs);
      bucket.last = t;
      return bucket;
    }
    if (this.buckets.size >= this.maxAddresses) this.forgetIdle(t);
    bucket = { tokens: this.burst, last: t };
    this.buckets.set(address, bucket);
    return bucket;
  }

  /** Forgets addresses whose bucket has refilled (nothing to remember), or else the first remembered. */
  private forgetIdle(t: number): void {
    for (const [address, b] of this.buckets) {
      if (b.tokens + (t - b.last) * this.perMs >= this.burst) this.buckets.delete(address);
    }
    if (this.buckets.size >= this.maxAddresses) {
      this.buckets.delete(this.buckets.keys().next().value!);
    }
  }
}

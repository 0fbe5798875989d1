/**
 * Admin token checks that an attacker cannot turn into a denial of service. The admin token is stored as a slow
 * scrypt hash (about 50 ms and 16 MiB per check), and scrypt runs on libuv's thread pool (4 threads by default), the
 * same pool that verifies client tokens at every hello. Unguarded, 50 concurrent wrong admin tokens kept that pool
 * busy and made honest client logins 30 to 50 times slower. Three measures, each for its own reason:
 *
 * - Per address, a token bucket of attempts: each check that needs scrypt takes one attempt before it runs (so a
 *   burst of concurrent requests cannot all get through before the first failure is known), a correct token gives
 *   it back, and an address with none left gets 429 with Retry-After and costs no scrypt at all.
 * - One admin verification at a time, with a short bounded queue (429 beyond it): admin checks can occupy at most
 *   one thread of the pool whatever the number of attacking addresses, so client logins always have the others.
 *   A separate thread pool is not possible in one Node process (the pool is shared and sized at start).
 * - A cache of the last token that verified, as an HMAC under a key made at start: the operator's repeated requests
 *   (`flotilla status`, the federation's progress) cost one HMAC, never queue behind an attack, and the token itself
 *   is not kept in memory. The admin token only changes when a server starts (ServerConfig.adminToken), before this
 *   guard exists, so the cache cannot outlive the token it vouches for.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface AdminGuardOptions {
  /** Attempts an address may make at once before it must wait. Default 5. */
  readonly burst?: number;
  /** Attempts an address earns back per minute. Default 6 (one every 10 s). */
  readonly perMinute?: number;
  /** Verifications that may wait behind the running one; more are refused at once. Default 8. */
  readonly maxQueued?: number;
  /** Addresses remembered; past it, idle ones (full buckets) are forgotten first. Default 10 000. */
  readonly maxAddresses?: number;
  readonly now?: () => number;
}

export type AdminCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 }
  | { readonly ok: false; readonly status: 429; readonly retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  last: number;
}

export class AdminGuard {
  /** scrypt verifications started so far (tests and monitoring read it). */
  verifications = 0;
  private readonly burst: number;
  private readonly perMs: number;
  private readonly maxQueued: number;
  private readonly maxAddresses: number;
  private readonly now: () => number;
  private readonly buckets = new Map<string, Bucket>();
  private readonly macKey = randomBytes(32);
  private verified: Buffer | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;

  constructor(
    private readonly verify: (token: string) => Promise<boolean>,
    options: AdminGuardOptions = {},
  ) {
    this.burst = options.burst ?? 5;
    this.perMs = (options.perMinute ?? 6) / 60_000;
    this.maxQueued = options.maxQueued ?? 8;
    this.maxAddresses = options.maxAddresses ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  async check(address: string, token: string): Promise<AdminCheck> {
    if (token.length === 0) return { ok: false, status: 401 };
    const mac = createHmac('sha256', this.macKey).update(token).digest();
    if (this.verified && timingSafeEqual(mac, this.verified)) return { ok: true };
    const bucket = this.bucket(address);
    if (bucket.tokens < 1) {
      return {
        ok: false,
        status: 429,
        retryAfterSeconds: Math.ceil((1 - bucket.tokens) / this.perMs / 1000),
      };
    }
    if (this.queued > this.maxQueued) return { ok: false, status: 429, retryAfterSeconds: 1 };
    bucket.tokens -= 1;
    const ok = await this.serially(() => {
      this.verifications++;
      return this.verify(token);
    });
    if (!ok) return { ok: false, status: 401 };
    bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
    this.verified = mac;
    return { ok: true };
  }

  /** Runs verifications one after another; `queued` counts the running one and those waiting. */
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

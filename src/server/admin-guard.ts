/**
 * Admin token checks that an attacker cannot turn into a denial of service. The admin token is stored as a slow
 * scrypt hash (about 50 ms and 16 MiB per check), and scrypt runs on libuv's thread pool (4 threads by default), the
 * same pool that verifies client tokens at every hello. Unguarded, 50 concurrent wrong admin tokens kept that pool
 * busy and made honest client logins 30 to 50 times slower. Two measures, each for its own reason:
 *
 * - Per address, a bucket of attempts and one verification at a time with a bounded queue (attempt-limiter.ts):
 *   an address out of attempts, or a full queue, gets 429 with Retry-After and costs no scrypt, and admin checks
 *   occupy at most one thread of the pool whatever the number of attacking addresses, so client logins always have
 *   the others. A separate thread pool is not possible in one Node process (the pool is shared and sized at start).
 * - A cache of the last token that verified, as an HMAC under a key made at start: the operator's repeated requests
 *   (`flotilla status`, the federation's progress) cost one HMAC, never queue behind an attack, and the token itself
 *   is not kept in memory. The admin token only changes when a server starts (ServerConfig.adminToken), before this
 *   guard exists, so the cache cannot outlive the token it vouches for.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AttemptLimiter, type AttemptLimiterOptions } from './attempt-limiter.js';

export type AdminGuardOptions = AttemptLimiterOptions;

export type AdminCheck =
  | { readonly ok: true }
  | { readonly ok: false; readonly status: 401 }
  | { readonly ok: false; readonly status: 429; readonly retryAfterSeconds: number };

export class AdminGuard {
  /** scrypt verifications started so far (tests and monitoring read it). */
  verifications = 0;
  private readonly limiter: AttemptLimiter;
  private readonly macKey = randomBytes(32);
  private verified: Buffer | undefined;

  constructor(
    private readonly verify: (token: string) => Promise<boolean>,
    options: AdminGuardOptions = {},
  ) {
    this.limiter = new AttemptLimiter(options);
  }

  async check(address: string, token: string): Promise<AdminCheck> {
    if (token.length === 0) return { ok: false, status: 401 };
    const mac = createHmac('sha256', this.macKey).update(token).digest();
    if (this.verified && timingSafeEqual(mac, this.verified)) return { ok: true };
    const result = await this.limiter.attempt(
      address,
      () => {
        this.verifications++;
        return this.verify(token);
      },
      (ok) => ok,
    );
    if (!result.ok) return { ok: false, status: 429, retryAfterSeconds: result.retryAfterSeconds };
    if (!result.value) return { ok: false, status: 401 };
    this.verified = mac;
    return { ok: true };
  }
}

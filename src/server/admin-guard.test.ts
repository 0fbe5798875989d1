import { describe, expect, it } from 'vitest';
import { AdminGuard } from './admin-guard.js';

/** A verifier that counts its calls and accepts one token; `hold` keeps calls pending until released. */
function verifier(good: string) {
  let release: () => void = () => {};
  let gate: Promise<void> | undefined;
  const v = {
    calls: 0,
    running: 0,
    maxRunning: 0,
    hold() {
      gate = new Promise((r) => (release = r));
    },
    release: () => release(),
    async verify(token: string): Promise<boolean> {
      v.calls++;
      v.maxRunning = Math.max(v.maxRunning, ++v.running);
      await gate;
      v.running--;
      return token === good;
    },
  };
  return v;
}

describe('AdminGuard', () => {
  it('limits failed attempts per address, refills with time, and gives a correct token its attempt back', async () => {
    let now = 0;
    const v = verifier('right');
    const guard = new AdminGuard((t) => v.verify(t), { burst: 2, perMinute: 6, now: () => now });
    expect(await guard.check('a', 'wrong')).toEqual({ ok: false, status: 401 });
    expect(await guard.check('a', 'right')).toEqual({ ok: true });
    expect(await guard.check('a', 'wrong')).toEqual({ ok: false, status: 401 });
    expect(await guard.check('a', 'wrong')).toEqual({ ok: false, status: 429, retryAfterSeconds: 10 });
    expect(await guard.check('b', 'wrong')).toEqual({ ok: false, status: 401 });
    expect(v.calls).toBe(4);
    now += 10_000;
    expect(await guard.check('a', 'wrong')).toEqual({ ok: false, status: 401 });
    expect(guard.verifications).toBe(5);
  });

  it('remembers the verified token: the operator is not limited and costs no scrypt', async () => {
    const v = verifier('right');
    const guard = new AdminGuard((t) => v.verify(t), { burst: 1 });
    expect(await guard.check('a', 'right')).toEqual({ ok: true });
    expect(await guard.check('a', 'wrong')).toMatchObject({ status: 401 });
    expect(await guard.check('a', 'wrong')).toMatchObject({ status: 429 });
    expect(await guard.check('a', 'right')).toEqual({ ok: true });
    expect(await guard.check('a', '')).toEqual({ ok: false, status: 401 });
    expect(v.calls).toBe(2);
  });

  it('runs one verification at a time and refuses beyond a bounded queue, from any number of addresses', async () => {
    const v = verifier('right');
    v.hold();
    const guard = new AdminGuard((t) => v.verify(t), { maxQueued: 3 });
    const checks = Array.from({ length: 10 }, (_, i) => guard.check(`10.0.0.${i}`, 'wrong'));
    // The six beyond the running one and its queue of three are answered while the first is still running.
    const refused = await Promise.all(checks.slice(4));
    v.release();
    const all = await Promise.all(checks);
    expect(refused).toEqual(Array(6).fill({ ok: false, status: 429, retryAfterSeconds: 1 }));
    expect(all.slice(0, 4)).toEqual(Array(4).fill({ ok: false, status: 401 }));
    expect(v.maxRunning).toBe(1);
    expect(v.calls).toBe(4);
  });
});

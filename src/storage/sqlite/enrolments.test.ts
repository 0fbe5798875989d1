import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../core/index.js';
import { SqliteStorage } from './sqlite-storage.js';

const HOUR = 3_600_000;

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isFlotillaError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('SqliteStorage enrolment codes', () => {
  let dir: string;
  let path: string;
  let storage: SqliteStorage;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-enrol-'));
    path = join(dir, 'server.db');
    storage = SqliteStorage.open(path);
  });

  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('redeems a code once: a new token replaces the old one, and the code is then refused as used', async () => {
    const { token: old } = await storage.addClient('browser-1');
    const link = await storage.createEnrolment('browser-1', HOUR, 1_000);
    expect(link).toMatchObject({ client: 'browser-1', expiresAt: 1_000 + HOUR });
    expect(link.code).toMatch(/^[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}$/);
    const redeemed = await storage.redeemEnrolment(link.code, 2_000);
    expect(redeemed.client.name).toBe('browser-1');
    expect(await storage.verifyClientToken('browser-1', redeemed.token)).toBe(true);
    expect(await storage.verifyClientToken('browser-1', old)).toBe(false);
    expect(await codeOf(storage.redeemEnrolment(link.code, 3_000))).toBe('ENROLMENT_USED');
    // Only a hash of the secret half is on disk.
    expect(readFileSync(path).includes(Buffer.from(link.code.split('.')[1]!))).toBe(false);
  });

  it('refuses an expired code, a wrong or malformed one, and a revoked client', async () => {
    await storage.addClient('a');
    await storage.addClient('b');
    const expiring = await storage.createEnrolment('a', HOUR, 0);
    expect(await codeOf(storage.redeemEnrolment(expiring.code, HOUR))).toBe('ENROLMENT_EXPIRED');
    const [id, secret] = expiring.code.split('.') as [string, string];
    const wrong = `${id}.${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    expect(await codeOf(storage.redeemEnrolment(wrong, 1))).toBe('ENROLMENT_UNKNOWN');
    expect(await codeOf(storage.redeemEnrolment('nonsense', 1))).toBe('ENROLMENT_UNKNOWN');
    const revoked = await storage.createEnrolment('b', HOUR);
    await storage.revokeClient('b');
    expect(await codeOf(storage.redeemEnrolment(revoked.code))).toBe('ENROLMENT_REVOKED');
    expect(await codeOf(storage.createEnrolment('b', HOUR))).toBe('STORAGE_CONFLICT');
    expect(await codeOf(storage.createEnrolment('nobody', HOUR))).toBe('STORAGE_NOT_FOUND');
    expect(await codeOf(storage.createEnrolment('a', 0))).toBe('INVALID_ARGUMENT');
  });

  it('a new link replaces an unused one, and two racing redemptions give one token', async () => {
    await storage.addClient('a');
    const first = await storage.createEnrolment('a', HOUR);
    const second = await storage.createEnrolment('a', HOUR);
    expect(await codeOf(storage.redeemEnrolment(first.code))).toBe('ENROLMENT_UNKNOWN');
    const outcomes = await Promise.allSettled([
      storage.redeemEnrolment(second.code),
      storage.redeemEnrolment(second.code),
    ]);
    expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
    const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect(isFlotillaError(loser.reason, 'ENROLMENT_USED')).toBe(true);
  });
});

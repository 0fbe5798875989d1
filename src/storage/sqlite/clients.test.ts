import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../core/index.js';
import { SqliteStorage } from './sqlite-storage.js';

const FINGERPRINT = 'AB:'.repeat(31) + 'CD';
const NORMALIZED = 'ab'.repeat(31) + 'cd';

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    if (isFlotillaError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('SqliteStorage client registry and credentials', () => {
  let dir: string;
  let path: string;
  let storage: SqliteStorage;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-clients-'));
    path = join(dir, 'server.db');
    storage = SqliteStorage.open(path);
  });

  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('issues a token that verifies, and refuses wrong tokens, wrong names and revoked clients at once', async () => {
    const { client, token } = await storage.addClient('hospital-a');
    const other = await storage.addClient('hospital-b');
    expect(token).toMatch(/^flc_[A-Za-z0-9_-]{43}$/);
    expect(token).not.toBe(other.token);
    expect(client).toMatchObject({ name: 'hospital-a', status: 'active' });

    expect(await storage.verifyClientToken('hospital-a', token)).toBe(true);
    expect(await storage.verifyClientToken('hospital-a', other.token)).toBe(false);
    expect(await storage.verifyClientToken('hospital-a', token.slice(0, -1))).toBe(false);
    expect(await storage.verifyClientToken('hospital-a', '')).toBe(false);
    expect(await storage.verifyClientToken('nobody', token)).toBe(false);

    const revoked = await storage.revokeClient('hospital-a');
    expect(revoked.status).toBe('revoked');
    expect(revoked.revokedAt).toBeGreaterThanOrEqual(client.createdAt);
    expect(await storage.verifyClientToken('hospital-a', token)).toBe(false);
    expect(await storage.verifyClientToken('hospital-b', other.token)).toBe(true);
    // Revoking again keeps the first revocation time.
    expect((await storage.revokeClient('hospital-a')).revokedAt).toBe(revoked.revokedAt);
    expect(await codeOf(storage.revokeClient('nobody'))).toBe('STORAGE_NOT_FOUND');
    expect(await codeOf(storage.addClient('hospital-a'))).toBe('STORAGE_CONFLICT');
    expect(await codeOf(storage.addClient(''))).toBe('INVALID_ARGUMENT');
  });

  it('never writes the token itself: neither its text nor its random bytes are in the database files', async () => {
    const { token } = await storage.addClient('hospital-a');
    await storage.setAdminToken('correct horse battery staple');
    const files = [path, `${path}-wal`].filter(existsSync).map((f) => readFileSync(f));
    await storage.close();
    files.push(readFileSync(path));
    const secrets = [
      Buffer.from(token),
      Buffer.from(token.slice(4), 'base64url'),
      Buffer.from('correct horse battery staple'),
    ];
    for (const bytes of files) for (const secret of secrets) expect(bytes.includes(secret)).toBe(false);
    // The hash is there, and it still verifies after reopening.
    expect(files.some((bytes) => bytes.includes(Buffer.from('scrypt$1024$8$1$')))).toBe(true);
    storage = SqliteStorage.open(path);
    expect(await storage.verifyClientToken('hospital-a', token)).toBe(true);
    expect(await storage.verifyAdminToken('correct horse battery staple')).toBe(true);
  });

  it('lists clients with status, creation, revocation and last-seen times', async () => {
    await storage.addClient('b');
    await storage.addClient('a', { certificateFingerprint: FINGERPRINT });
    await storage.markClientSeen('b', 1_700_000_000_000);
    await storage.revokeClient('a');
    const [a, b] = await storage.listClients();
    expect(a).toMatchObject({ name: 'a', status: 'revoked', certificateFingerprint: NORMALIZED });
    expect(a!.lastSeen).toBeUndefined();
    expect(b).toMatchObject({ name: 'b', status: 'active', lastSeen: 1_700_000_000_000 });
    expect(b!.revokedAt).toBeUndefined();
    expect(await storage.getClient('b')).toEqual(b);
    expect(await storage.getClient('c')).toBeUndefined();
    expect(await codeOf(storage.markClientSeen('c'))).toBe('STORAGE_NOT_FOUND');
  });

  it('verifies certificate fingerprints for mutual TLS, in any notation, for active clients only', async () => {
    await storage.addClient('a', { certificateFingerprint: FINGERPRINT });
    expect(await storage.verifyClientCertificate('a', NORMALIZED)).toBe(true);
    expect(await storage.verifyClientCertificate('a', NORMALIZED.toUpperCase())).toBe(true);
    expect(await storage.verifyClientCertificate('a', 'ee'.repeat(32))).toBe(false);
    expect(await storage.verifyClientCertificate('b', NORMALIZED)).toBe(false);
    expect(await codeOf(storage.addClient('b', { certificateFingerprint: FINGERPRINT }))).toBe(
      'STORAGE_CONFLICT',
    );
    expect(await codeOf(storage.addClient('c', { certificateFingerprint: 'abc' }))).toBe('INVALID_ARGUMENT');
    await storage.revokeClient('a');
    expect(await storage.verifyClientCertificate('a', NORMALIZED)).toBe(false);
  });

  it('stores an admin token hash that can be replaced', async () => {
    expect(await storage.verifyAdminToken('anything')).toBe(false);
    await storage.setAdminToken('first');
    expect(await storage.verifyAdminToken('first')).toBe(true);
    expect(await storage.verifyAdminToken('First')).toBe(false);
    await storage.setAdminToken('second');
    expect(await storage.verifyAdminToken('first')).toBe(false);
    expect(await storage.verifyAdminToken('second')).toBe(true);
    expect(await codeOf(storage.setAdminToken(''))).toBe('INVALID_ARGUMENT');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlotillaError } from '../../core/index.js';
import { decodeControl, encodeControl, PROTOCOL_VERSION } from '../../protocol/index.js';
import { SqliteStorage } from './sqlite-storage.js';

const BAD = ['hôpital', '-leading-dash', "x'; DROP TABLE clients;--", 'a b', 'a/b', '', 'a'.repeat(65)];
const GOOD = ['site-1', 'A.b_c', '0', 'a'.repeat(64)];

/** Whether a hello carrying `clientId` passes the protocol's own validation. */
function helloAccepts(clientId: string): boolean {
  try {
    const capabilities = { tasks: ['fit'] as const, maxFrameBytes: 1 << 20, runtime: 'test' };
    decodeControl(
      encodeControl({ type: 'hello', protocolVersion: PROTOCOL_VERSION, clientId, token: 't', capabilities }),
    );
    return true;
  } catch {
    return false;
  }
}

describe('client registration accepts exactly the names a hello can carry', () => {
  let dir: string;
  let storage: SqliteStorage;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-names-'));
    storage = SqliteStorage.open(join(dir, 'server.db'));
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses names the hello refuses, with a typed error naming the rule, and issues no token', async () => {
    for (const name of BAD) {
      expect(helloAccepts(name), name).toBe(false);
      const error = await storage.addClient(name).catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(FlotillaError);
      expect((error as FlotillaError).code, name).toBe('INVALID_ARGUMENT');
      expect((error as FlotillaError).message, name).toMatch(
        /is not a valid client id: use 1 to 64 ASCII letters/,
      );
    }
    expect(await storage.listClients()).toEqual([]);
  });

  it('registers names the hello accepts', async () => {
    for (const name of GOOD) {
      expect(helloAccepts(name), name).toBe(true);
      expect((await storage.addClient(name)).client.name).toBe(name);
    }
  });
});

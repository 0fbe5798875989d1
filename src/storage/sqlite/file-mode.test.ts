import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from './sqlite-storage.js';

const mode = (path: string) => statSync(path).mode & 0o777;

describe('the database file is readable by its owner only', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-mode-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the database, its -wal and its -shm file 0600', async () => {
    const path = join(dir, 'server.db');
    const storage = SqliteStorage.open(path);
    await storage.addClient('site-a');
    expect(existsSync(`${path}-wal`)).toBe(true);
    expect(existsSync(`${path}-shm`)).toBe(true);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
    await storage.close();
  });

  it('takes group and other access away from an existing database and its -wal and -shm files', async () => {
    const path = join(dir, 'server.db');
    await SqliteStorage.open(path).close();
    for (const file of [path, `${path}-wal`, `${path}-shm`]) {
      if (!existsSync(file)) writeFileSync(file, '');
      chmodSync(file, 0o644);
    }
    const storage = SqliteStorage.open(path);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(mode(file), file).toBe(0o600);
    await storage.close();
  });
});

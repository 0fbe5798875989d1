/**
 * The server lock (lock.ts), for real: refused to a second holder in this process and in another process, taken
 * again after a release, and after its holder is killed with SIGKILL (so a crash never blocks a restart). Readers
 * of the database are not blocked by a server's lock.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../core/index.js';
import { lockFile } from './lock.js';
import { SqliteStorage } from './sqlite-storage.js';

const HOLDER = fileURLToPath(new URL('./test-support/lock-holder.ts', import.meta.url));

function refusal(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('lockFile', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a second holder in the same process, and is free again once released', () => {
    const path = join(dir, 'server.db');
    const first = lockFile(path, 'in use');
    const second = refusal(() => lockFile(path, 'in use'));
    expect(isFlotillaError(second, 'STORAGE_LOCKED')).toBe(true);
    expect((second as Error).message).toBe('in use');
    first.release();
    lockFile(path, 'in use').release();
  });

  it('refuses a second server on a database, but not its readers', async () => {
    const path = join(dir, 'server.db');
    const server = SqliteStorage.open(path, { exclusive: true });
    expect(refusal(() => SqliteStorage.open(path, { exclusive: true }))).toMatchObject({
      code: 'STORAGE_LOCKED',
      message: `database ${path} is in use by another flotilla server; stop it or give this one its own --db`,
    });
    const reader = SqliteStorage.open(path, { mustExist: true });
    expect(await reader.listRuns()).toEqual([]);
    await reader.close();
    await server.close();
    await SqliteStorage.open(path, { exclusive: true }).close();
  });

  it('is refused while another process holds it, and free once that process is killed with SIGKILL', async () => {
    const path = join(dir, 'server.db');
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve());
      child.once('exit', () => reject(new Error(`the holder exited: ${stderr}`)));
    });
    expect(
      isFlotillaError(
        refusal(() => lockFile(path, 'in use')),
        'STORAGE_LOCKED',
      ),
    ).toBe(true);
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    lockFile(path, 'in use').release();
  });
});

describe('SqliteStorage.open', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-open-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses a missing file when it must exist, a file that is not a database, a folder, a missing folder', () => {
    const missing = join(dir, 'typo.db');
    expect(refusal(() => SqliteStorage.open(missing, { mustExist: true }))).toMatchObject({
      code: 'STORAGE_NOT_FOUND',
    });
    expect(existsSync(missing)).toBe(false);
    const csv = join(dir, 'data.csv');
    writeFileSync(csv, 'a,b\n1,2\n'.repeat(100));
    expect(refusal(() => SqliteStorage.open(csv))).toMatchObject({
      code: 'STORAGE_INVALID',
      message: `${csv} is not a Flotilla database (not an SQLite file)`,
    });
    expect(refusal(() => SqliteStorage.open(dir))).toMatchObject({
      code: 'STORAGE_INVALID',
      message: `${dir} is a folder, not a database file`,
    });
    const nowhere = join(dir, 'typo', 'server.db');
    expect(refusal(() => SqliteStorage.open(nowhere, { exclusive: true }))).toMatchObject({
      code: 'STORAGE_NOT_FOUND',
      message: `cannot create database ${nowhere}: no folder ${join(dir, 'typo')}`,
    });
  });
});

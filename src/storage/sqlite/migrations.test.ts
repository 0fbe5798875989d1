import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FlotillaError, isFlotillaError } from '../../core/index.js';
import { MIGRATIONS, migrate, type Migration } from './migrations.js';
import { SqliteStorage } from './sqlite-storage.js';
import { modelForRound } from './test-support/model.js';

function versions(path: string): number[] {
  const db = new Database(path, { readonly: true });
  const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all() as {
    version: number;
  }[];
  db.close();
  return rows.map((r) => r.version);
}

describe('schema migrations', () => {
  let dir: string;
  let path: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-migrations-'));
    path = join(dir, 'server.db');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('applies every migration once; reopening changes nothing and keeps the data', async () => {
    let storage = SqliteStorage.open(path);
    await storage.createRun({
      runId: 'r',
      name: 'n',
      strategy: 'fedavg',
      config: {},
      initialParams: modelForRound(0, 8),
    });
    await storage.close();
    expect(versions(path)).toEqual(MIGRATIONS.map((m) => m.version));
    storage = SqliteStorage.open(path);
    await storage.close();
    storage = SqliteStorage.open(path);
    expect((await storage.listRuns()).map((r) => r.runId)).toEqual(['r']);
    await storage.close();
    expect(versions(path)).toEqual(MIGRATIONS.map((m) => m.version));

    const db = new Database(path);
    expect(migrate(db)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length });
    db.close();
  });

  it('upgrades an existing database with only the newer migrations, in order', () => {
    const db = new Database(path);
    expect(migrate(db)).toEqual({ from: 0, to: MIGRATIONS.length });
    db.prepare(
      `INSERT INTO clients (name, token_hash, status, created_at) VALUES ('a', 'h', 'active', 1)`,
    ).run();
    const next: Migration[] = [
      ...MIGRATIONS,
      {
        version: MIGRATIONS.length + 1,
        name: 'client notes',
        sql: 'ALTER TABLE clients ADD COLUMN note TEXT',
      },
      {
        version: MIGRATIONS.length + 2,
        name: 'default notes',
        sql: "UPDATE clients SET note = 'registered before notes'",
      },
    ];
    expect(migrate(db, next)).toEqual({ from: MIGRATIONS.length, to: MIGRATIONS.length + 2 });
    expect(db.prepare('SELECT note FROM clients').get()).toEqual({ note: 'registered before notes' });
    db.close();
    expect(versions(path)).toEqual(next.map((m) => m.version));
  });

  it('applies nothing when one pending migration fails', () => {
    const db = new Database(path);
    migrate(db);
    const next: Migration[] = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'good', sql: 'CREATE TABLE extra (x INTEGER)' },
      { version: MIGRATIONS.length + 2, name: 'broken', sql: 'ALTER TABLE missing ADD COLUMN y' },
    ];
    expect(() => migrate(db, next)).toThrow(/no such table: missing/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get()).toBeUndefined();
    db.close();
    expect(versions(path)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('refuses a database written by a newer version, with a clear user-facing error', async () => {
    await SqliteStorage.open(path).close();
    const db = new Database(path);
    db.prepare(
      "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from the future', 0)",
    ).run();
    db.close();
    try {
      SqliteStorage.open(path);
      expect.unreachable();
    } catch (error) {
      expect(isFlotillaError(error, 'STORAGE_VERSION')).toBe(true);
      expect((error as FlotillaError).userFacing).toBe(true);
      expect((error as Error).message).toBe(
        `database schema version 99 is newer than this Flotilla supports (${MIGRATIONS.length}); upgrade Flotilla`,
      );
    }
  });

  it('refuses an out-of-order migration list and a file that is not a database', () => {
    const db = new Database(path);
    expect(() => migrate(db, [{ ...MIGRATIONS[0]!, version: 2 }])).toThrow(/versions must be 1, 2, 3/);
    db.close();
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not an SQLite database, but it is long enough to have a header.'.repeat(20));
    expect(() => SqliteStorage.open(junk)).toThrow(
      /junk\.db is not a Flotilla database \(not an SQLite file\)/,
    );
  });
});

/**
 * Versioned schema migrations. The list is append-only: a released migration is never edited, a change is a new
 * entry. At open, every migration newer than the database's version is applied in one transaction together with
 * its `schema_migrations` row, so a crash mid-upgrade leaves the previous version intact. A database written by a
 * newer Flotilla is refused rather than used with a schema this code does not know.
 */
import type { Database } from 'better-sqlite3';
import { FlotillaError } from '../../core/index.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'runs, rounds, checkpoints, events, clients, admin token',
    sql: `
      CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        strategy TEXT NOT NULL,
        config TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('created', 'running', 'completed', 'failed', 'aborted')),
        status_message TEXT,
        keep_checkpoints INTEGER CHECK (keep_checkpoints IS NULL OR keep_checkpoints >= 1),
        initial_layout TEXT NOT NULL,
        initial_params BLOB NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE rounds (
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        round INTEGER NOT NULL CHECK (round >= 1),
        record TEXT NOT NULL,
        committed_at INTEGER NOT NULL,
        PRIMARY KEY (run_id, round)
      );
      -- Large blobs: rowid tables, so the primary-key b-tree stays small and blobs live in overflow pages.
      CREATE TABLE checkpoints (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        round INTEGER NOT NULL,
        layout TEXT NOT NULL,
        params BLOB NOT NULL,
        strategy_json TEXT NOT NULL,
        privacy_ledger TEXT,
        UNIQUE (run_id, round),
        FOREIGN KEY (run_id, round) REFERENCES rounds (run_id, round) ON DELETE CASCADE
      );
      CREATE TABLE checkpoint_tensors (
        checkpoint_id INTEGER NOT NULL REFERENCES checkpoints (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        layout TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (checkpoint_id, name)
      );
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        round INTEGER,
        data TEXT,
        at INTEGER NOT NULL
      );
      CREATE INDEX events_by_run ON events (run_id, kind);
      CREATE TABLE clients (
        name TEXT PRIMARY KEY,
        token_hash TEXT NOT NULL,
        certificate_fingerprint TEXT UNIQUE,
        status TEXT NOT NULL CHECK (status IN ('active', 'revoked')),
        created_at INTEGER NOT NULL,
        revoked_at INTEGER,
        last_seen INTEGER
      );
      CREATE TABLE admin_token (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        token_hash TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'one-time enrolment links',
    // `id` is the code's public half, for the lookup; only a salted hash of its secret half is kept.
    sql: `
      CREATE TABLE enrolments (
        id TEXT PRIMARY KEY,
        client TEXT NOT NULL REFERENCES clients (name) ON DELETE CASCADE,
        secret_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        used_at INTEGER
      );
      CREATE INDEX enrolments_by_client ON enrolments (client);
    `,
  },
];

export interface MigrationResult {
  /** Schema version found (0 for a new database). */
  readonly from: number;
  readonly to: number;
}

function assertOrdered(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `migration ${i} has version ${m.version}; versions must be 1, 2, 3... in order`,
      );
    }
  });
}

/** Brings the schema to the last version of `migrations` (the built-in list unless a test extends it). */
export function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  assertOrdered(migrations);
  const latest = migrations.length;
  // IMMEDIATE takes the write lock before reading the version, so two processes opening a new file do not both
  // try to apply migration 1.
  return db
    .transaction((): MigrationResult => {
      db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        applied_at INTEGER NOT NULL
      )`);
      const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
      const from = row.v ?? 0;
      if (from > latest) {
        throw new FlotillaError(
          'STORAGE_VERSION',
          `database schema version ${from} is newer than this Flotilla supports (${latest}); upgrade Flotilla`,
          { version: from, supported: latest },
        );
      }
      const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
      for (const m of migrations.slice(from)) {
        db.exec(m.sql);
        record.run(m.version, m.name, Date.now());
      }
      return { from, to: latest };
    })
    .immediate();
}

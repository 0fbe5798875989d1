/**
 * One better-sqlite3 connection with the two things every SQLite store here needs: a cache of prepared statements
 * (better-sqlite3 does not cache; parsing the same SQL on every call is wasted work) and transactions that turn
 * SQLite's exceptions into typed STORAGE_FAILED errors naming the operation. Also the input check shared by the
 * run and client stores.
 */
import Database from 'better-sqlite3';
import { chmodSync, closeSync, constants, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { FlotillaError } from '../../core/index.js';

const MAX_NAME_LENGTH = 200;

/** Re-throws typed errors as they are and turns everything SQLite raises into STORAGE_FAILED naming the operation. */
export function databaseError(error: unknown, what: string): Error {
  if (error instanceof FlotillaError) return error;
  const sqliteCode = error instanceof Database.SqliteError ? error.code : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return new FlotillaError('STORAGE_FAILED', `${what} failed: ${message}`, sqliteCode ? { sqliteCode } : {});
}

/** Ids and names: non-empty, bounded, printable (they end up in logs and dashboards). */
export function checkName(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `${what} must be a string of 1 to ${MAX_NAME_LENGTH} characters`,
    );
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) {
    throw new FlotillaError('INVALID_ARGUMENT', `${what} must not contain control characters`);
  }
  return value;
}

/**
 * Makes the database file owner-only (0600) before SQLite opens it: it holds client token hashes, the admin token
 * hash and every model, so it is as secret as the token file. A new file is created with that mode (SQLite would
 * create it 0644 under the usual umask); an existing file we own, and its -wal and -shm files, lose any group and
 * other bits. SQLite gives the -wal and -shm files it creates later the database file's mode.
 */
export function restrictToOwner(path: string): void {
  if (path === '' || path === ':memory:' || path.startsWith('file:')) return;
  try {
    closeSync(openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      continue; // no -wal or -shm yet
    }
    // Another user's file (an operator reading a shared database) is theirs to protect; chmod would fail anyway.
    if ((stat.mode & 0o077) !== 0 && stat.uid === process.getuid?.()) chmodSync(file, stat.mode & 0o700);
  }
}

/**
 * Refuses, in one line, a database path SQLite would fail on with a bare I/O error: a missing file where one must
 * exist (a typo in --db must not create an empty database), a folder, or a file in a folder that does not exist.
 */
export function checkDatabasePath(path: string, mustExist: boolean): void {
  const kind = (p: string) => {
    try {
      return statSync(p).isDirectory() ? 'folder' : 'file';
    } catch {
      return undefined;
    }
  };
  const found = kind(path);
  if (found === 'folder')
    throw new FlotillaError('STORAGE_INVALID', `${path} is a folder, not a database file`);
  if (found === undefined && mustExist) {
    throw new FlotillaError(
      'STORAGE_NOT_FOUND',
      `no database ${path} (a server creates it on its first start)`,
    );
  }
  if (found === undefined && kind(dirname(path)) !== 'folder') {
    throw new FlotillaError(
      'STORAGE_NOT_FOUND',
      `cannot create database ${path}: no folder ${dirname(path)}`,
    );
  }
}

export class Connection {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.db = db;
  }

  sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /** Runs `fn` in a transaction; IMMEDIATE for writes, so the checks it makes still hold when it writes. */
  transact<T>(what: string, fn: () => T, write = true): T {
    try {
      const transaction = this.db.transaction(fn);
      return write ? transaction.immediate() : transaction.deferred();
    } catch (error) {
      throw databaseError(error, what);
    }
  }

  close(): void {
    this.statements.clear();
    this.db.close();
  }
}

/**
 * One better-sqlite3 connection with the two things every SQLite store here needs: a cache of prepared statements
 * (better-sqlite3 does not cache; parsing the same SQL on every call is wasted work) and transactions that turn
 * SQLite's exceptions into typed STORAGE_FAILED errors naming the operation. Also the input check shared by the
 * run and client stores.
 */
import Database from 'better-sqlite3';
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

/**
 * An exclusive, crash-safe lock on a file, for "one process at a time" rules: one server per database, one local
 * federation per working folder.
 *
 * The lock is an OS file lock, taken through SQLite on a small side file (`<path>.lock`): a connection in
 * `locking_mode=EXCLUSIVE` that has written keeps its exclusive lock (fcntl on POSIX, LockFileEx on Windows) until
 * it closes. The operating system drops such a lock when its process dies, even by SIGKILL, so a crashed server never
 * leaves a lock that blocks its restart, and no owner pid has to be checked (pids are reused). SQLite also tracks
 * locks between connections of one process, so a second lock on the same file is refused within a process too.
 *
 * The lock is not on the database itself: an exclusive lock there would also shut out readers (`flotilla runs
 * list`), which WAL mode lets read while a server writes. The side file is left in place on release: deleting it
 * could let a process that opened it just before the deletion lock an unlinked file while a third locks a new one.
 */
import Database from 'better-sqlite3';
import { FlotillaError } from '../../core/index.js';
import { restrictToOwner } from './connection.js';

export interface FileLock {
  /** The side file that carries the lock. */
  readonly path: string;
  release(): void;
}

/** SQLite's answers when another connection holds the lock. */
const BUSY = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED']);

/**
 * Takes the lock for `path` (on `<path>.lock`) or throws STORAGE_LOCKED with `refusal` as its message. Never waits:
 * the holder is a long-running process, so waiting would only hide the conflict.
 */
export function lockFile(path: string, refusal: string): FileLock {
  const lockPath = `${path}.lock`;
  let db: Database.Database | undefined;
  try {
    restrictToOwner(lockPath);
    db = new Database(lockPath, { timeout: 0 });
    db.pragma('locking_mode = EXCLUSIVE');
    // No journal: the file's content does not matter, only its lock, and a journal would be one more file left over.
    db.pragma('journal_mode = OFF');
    db.exec(
      'CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder; INSERT INTO holder VALUES (' +
        String(process.pid) +
        ')',
    );
  } catch (error) {
    db?.close();
    const code = (error as { code?: string }).code;
    if (code !== undefined && BUSY.has(code))
      throw new FlotillaError('STORAGE_LOCKED', refusal, { lockPath });
    const message = error instanceof Error ? error.message : String(error);
    throw new FlotillaError('STORAGE_FAILED', `cannot lock ${lockPath}: ${message}`, { lockPath });
  }
  const held = db;
  return { path: lockPath, release: () => held.open && held.close() };
}

/**
 * The default Storage: one SQLite file per server, through better-sqlite3.
 *
 * Durability: WAL journal with synchronous=FULL, so every commit fsyncs the WAL before returning. WAL with NORMAL
 * would already survive `kill -9` (the OS keeps the written pages) but can lose the last commits on power loss.
 * A round commit happens once per round, seconds apart, and the fsync is cheap next to that: for a 200k-parameter
 * model the median commit took 4-5 ms with FULL against about 2 ms with NORMAL on the development machine. WAL also
 * lets read-only tools (`flotilla runs list`) read while the server writes.
 *
 * better-sqlite3 is synchronous: each transaction runs start to end in one tick, so no other call on this
 * connection can interleave with a round commit. Work that can be done before the transaction (JSON, key
 * derivation) is done before it.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { FlotillaError, ParameterSet } from '../../core/index.js';
import { decodeJson, encodeJson } from '../json.js';
import {
  RUN_STATUSES,
  type AddClientOptions,
  type Checkpoint,
  type ClientInfo,
  type CreateRunInput,
  type NewClient,
  type NewEnrolment,
  type RoundCommit,
  type RoundRecordJson,
  type RunEventInput,
  type RunInfo,
  type RunStatus,
  type Storage,
  type StoredEvent,
  type StoredRound,
  type StoredStrategyState,
} from '../storage.js';
import { layoutFromJson, layoutToJson, parametersFromBlob, valuesToBlob } from '../tensors.js';
import { SqliteClientRegistry } from './clients.js';
import { SqliteEnrolments } from './enrolments.js';
import { Connection, checkDatabasePath, checkName, databaseError, restrictToOwner } from './connection.js';
import { lockFile, type FileLock } from './lock.js';
import { migrate } from './migrations.js';

interface RunRow {
  run_id: string;
  name: string;
  strategy: string;
  config: string;
  status: RunStatus;
  status_message: string | null;
  keep_checkpoints: number | null;
  last_round: number;
  created_at: number;
  updated_at: number;
}

interface CheckpointRow {
  id: number;
  round: number;
  committed_at: number;
  layout: string;
  params: Buffer;
  strategy_json: string;
  privacy_ledger: string | null;
}

const RUN_COLUMNS = `run_id, name, strategy, config, status, status_message, keep_checkpoints, created_at, updated_at,
  (SELECT coalesce(max(round), 0) FROM rounds WHERE rounds.run_id = runs.run_id) AS last_round`;

/** A zero-copy Buffer over the bytes, which is what better-sqlite3 binds as a BLOB. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function checkParameters(value: unknown, what: string): ParameterSet {
  if (!(value instanceof ParameterSet))
    throw new FlotillaError('INVALID_ARGUMENT', `${what} must be a ParameterSet`);
  return value;
}

function toRunInfo(row: RunRow): RunInfo {
  return {
    runId: row.run_id,
    name: row.name,
    strategy: row.strategy,
    config: decodeJson(row.config, 'run config'),
    status: row.status,
    ...(row.status_message !== null && { statusMessage: row.status_message }),
    ...(row.keep_checkpoints !== null && { keepCheckpoints: row.keep_checkpoints }),
    lastRound: row.last_round,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class SqliteStorage implements Storage {
  readonly path: string;
  private readonly conn: Connection;
  private readonly clients: SqliteClientRegistry;
  private readonly enrolments: SqliteEnrolments;

  private constructor(
    db: Database.Database,
    path: string,
    private readonly lock: FileLock | undefined,
  ) {
    this.conn = new Connection(db);
    this.clients = new SqliteClientRegistry(this.conn);
    this.enrolments = new SqliteEnrolments(this.conn);
    this.path = path;
  }

  /**
   * Opens (creating if needed) the database file and brings its schema up to date. `mustExist` refuses a missing
   * file instead (commands that only read or change what a server wrote: a typo must not make an empty database);
   * `exclusive` takes the database's server lock (lock.ts) for as long as the storage is open.
   */
  static open(path: string, options: { mustExist?: boolean; exclusive?: boolean } = {}): SqliteStorage {
    const onDisk = path !== '' && path !== ':memory:' && !path.startsWith('file:');
    if (onDisk) checkDatabasePath(path, options.mustExist === true);
    const lock =
      onDisk && options.exclusive
        ? lockFile(
            path,
            `database ${path} is in use by another flotilla server; stop it or give this one its own --db`,
          )
        : undefined;
    let db: Database.Database | undefined;
    try {
      restrictToOwner(path);
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
      // Another process (a CLI listing runs) may hold the lock briefly; wait instead of failing at once.
      db.pragma('busy_timeout = 5000');
      // After a checkpoint, shrink a WAL that grew with a large model instead of keeping it at its peak size.
      db.pragma('journal_size_limit = 67108864');
      migrate(db);
      return new SqliteStorage(db, path, lock);
    } catch (error) {
      db?.close();
      lock?.release();
      if (error instanceof Database.SqliteError && error.code === 'SQLITE_NOTADB') {
        throw new FlotillaError('STORAGE_INVALID', `${path} is not a Flotilla database (not an SQLite file)`);
      }
      throw databaseError(error, `opening storage ${path}`);
    }
  }

  private runRow(runId: string): RunRow {
    const row = this.conn.sql(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`).get(runId) as
      RunRow | undefined;
    if (!row) throw new FlotillaError('STORAGE_NOT_FOUND', `no run "${runId}" in storage`, { runId });
    return row;
  }

  async createRun(input: CreateRunInput): Promise<RunInfo> {
    const runId = input.runId === undefined ? randomUUID() : checkName(input.runId, 'run id');
    const name = checkName(input.name, 'run name');
    const strategy = checkName(input.strategy, 'strategy name');
    const params = checkParameters(input.initialParams, 'initial parameters');
    const keep = input.keepCheckpoints;
    if (keep !== undefined && !(Number.isSafeInteger(keep) && keep >= 1)) {
      throw new FlotillaError('INVALID_ARGUMENT', `keepCheckpoints must be an integer >= 1, got ${keep}`);
    }
    const config = encodeJson(input.config, 'run config');
    return this.conn.transact('creating a run', () => {
      if (this.conn.sql('SELECT 1 FROM runs WHERE run_id = ?').get(runId)) {
        throw new FlotillaError('STORAGE_CONFLICT', `a run "${runId}" already exists`, { runId });
      }
      const now = Date.now();
      this.conn
        .sql(
          `INSERT INTO runs (run_id, name, strategy, config, status, keep_checkpoints, initial_layout, initial_params,
          created_at, updated_at) VALUES (?, ?, ?, ?, 'created', ?, ?, ?, ?, ?)`,
        )
        .run(
          runId,
          name,
          strategy,
          config,
          keep ?? null,
          layoutToJson(params.layout),
          asBuffer(valuesToBlob(params)),
          now,
          now,
        );
      return toRunInfo(this.runRow(runId));
    });
  }

  async getRun(runId: string): Promise<RunInfo | undefined> {
    return this.conn.transact(
      'reading a run',
      () => {
        const row = this.conn.sql(`SELECT ${RUN_COLUMNS} FROM runs WHERE run_id = ?`).get(runId) as
          RunRow | undefined;
        return row && toRunInfo(row);
      },
      false,
    );
  }

  async listRuns(): Promise<RunInfo[]> {
    return this.conn.transact(
      'listing runs',
      () =>
        (
          this.conn
            .sql(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY created_at DESC, rowid DESC`)
            .all() as RunRow[]
        ).map(toRunInfo),
      false,
    );
  }

  async updateRunStatus(runId: string, status: RunStatus, message?: string): Promise<RunInfo> {
    if (!RUN_STATUSES.includes(status)) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `run status must be one of ${RUN_STATUSES.join(', ')}, got ${status}`,
      );
    }
    if (message !== undefined && typeof message !== 'string') {
      throw new FlotillaError('INVALID_ARGUMENT', 'a status message must be a string');
    }
    return this.conn.transact('updating a run status', () => {
      this.runRow(runId);
      this.conn
        .sql('UPDATE runs SET status = ?, status_message = ?, updated_at = ? WHERE run_id = ?')
        .run(status, message ?? null, Date.now(), runId);
      return toRunInfo(this.runRow(runId));
    });
  }

  async initialParams(runId: string): Promise<ParameterSet> {
    return this.conn.transact(
      'reading initial parameters',
      () => {
        this.runRow(runId);
        const row = this.conn
          .sql('SELECT initial_layout, initial_params FROM runs WHERE run_id = ?')
          .get(runId) as {
          initial_layout: string;
          initial_params: Buffer;
        };
        return parametersFromBlob(
          layoutFromJson(row.initial_layout),
          row.initial_params,
          'initial parameters',
        );
      },
      false,
    );
  }

  async commitRound(runId: string, commit: RoundCommit): Promise<void> {
    const round = commit.record?.round;
    if (!Number.isSafeInteger(round) || round < 1) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `a round record needs an integer round >= 1, got ${String(round)}`,
      );
    }
    // Everything that can fail on the input is prepared before the transaction: the transaction only writes.
    const params = checkParameters(commit.params, `parameters of round ${round}`);
    const record = encodeJson(commit.record, `record of round ${round}`);
    const strategyJson = encodeJson(commit.strategyState?.json, `strategy state of round ${round}`);
    const tensors = Object.entries(commit.strategyState?.tensors ?? {}).map(([name, set]) => {
      const checked = checkParameters(set, `strategy tensor "${name}"`);
      return { name, layout: layoutToJson(checked.layout), data: asBuffer(valuesToBlob(checked)) };
    });
    const ledger =
      commit.privacyLedger === undefined
        ? null
        : encodeJson(commit.privacyLedger, `privacy ledger of round ${round}`);

    this.conn.transact(`committing round ${round} of run "${runId}"`, () => {
      const run = this.runRow(runId);
      if (round !== run.last_round + 1) {
        throw new FlotillaError(
          'STORAGE_ROUND_ORDER',
          `round ${round} of run "${runId}" cannot be committed: the last committed round is ${run.last_round} ` +
            `and rounds must follow one another without gaps or repeats`,
          { runId, round, lastRound: run.last_round },
        );
      }
      const now = Date.now();
      this.conn
        .sql('INSERT INTO rounds (run_id, round, record, committed_at) VALUES (?, ?, ?, ?)')
        .run(runId, round, record, now);
      const { lastInsertRowid } = this.conn
        .sql(
          `INSERT INTO checkpoints (run_id, round, layout, params, strategy_json, privacy_ledger)
          VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(runId, round, layoutToJson(params.layout), asBuffer(valuesToBlob(params)), strategyJson, ledger);
      const addTensor = this.conn.sql(
        'INSERT INTO checkpoint_tensors (checkpoint_id, name, layout, data) VALUES (?, ?, ?, ?)',
      );
      for (const t of tensors) addTensor.run(lastInsertRowid, t.name, t.layout, t.data);
      this.conn.sql('UPDATE runs SET updated_at = ? WHERE run_id = ?').run(now, runId);
      if (run.keep_checkpoints !== null) {
        // Strategy tensors go with their checkpoint (ON DELETE CASCADE).
        this.conn
          .sql('DELETE FROM checkpoints WHERE run_id = ? AND round <= ?')
          .run(runId, round - run.keep_checkpoints);
      }
    });
  }

  private readCheckpoint(row: CheckpointRow): Checkpoint {
    const what = `checkpoint of round ${row.round}`;
    const tensorRows = this.conn
      .sql('SELECT name, layout, data FROM checkpoint_tensors WHERE checkpoint_id = ? ORDER BY rowid')
      .all(row.id) as { name: string; layout: string; data: Buffer }[];
    const tensors: Record<string, ParameterSet> = {};
    for (const t of tensorRows) {
      tensors[t.name] = parametersFromBlob(
        layoutFromJson(t.layout),
        t.data,
        `strategy tensor "${t.name}" of ${what}`,
      );
    }
    const strategyState: StoredStrategyState = {
      json: decodeJson(row.strategy_json, `strategy state of ${what}`),
      tensors,
    };
    return {
      round: row.round,
      committedAt: row.committed_at,
      params: parametersFromBlob(layoutFromJson(row.layout), row.params, `parameters of ${what}`),
      strategyState,
      ...(row.privacy_ledger !== null && {
        privacyLedger: decodeJson(row.privacy_ledger, `privacy ledger of ${what}`),
      }),
    };
  }

  private checkpointQuery(order: string): string {
    return `SELECT c.id, c.round, r.committed_at, c.layout, c.params, c.strategy_json, c.privacy_ledger
      FROM checkpoints c JOIN rounds r ON r.run_id = c.run_id AND r.round = c.round
      WHERE c.run_id = ? ${order}`;
  }

  async latestCheckpoint(runId: string): Promise<Checkpoint | undefined> {
    return this.conn.transact(
      'reading the latest checkpoint',
      () => {
        this.runRow(runId);
        const row = this.conn.sql(this.checkpointQuery('ORDER BY c.round DESC LIMIT 1')).get(runId) as
          CheckpointRow | undefined;
        return row && this.readCheckpoint(row);
      },
      false,
    );
  }

  async checkpoint(runId: string, round: number): Promise<Checkpoint | undefined> {
    return this.conn.transact(
      `reading the checkpoint of round ${round}`,
      () => {
        this.runRow(runId);
        const row = this.conn.sql(this.checkpointQuery('AND c.round = ?')).get(runId, round) as
          CheckpointRow | undefined;
        return row && this.readCheckpoint(row);
      },
      false,
    );
  }

  async checkpointRounds(runId: string): Promise<number[]> {
    return this.conn.transact(
      'listing checkpoints',
      () => {
        this.runRow(runId);
        const rows = this.conn
          .sql('SELECT round FROM checkpoints WHERE run_id = ? ORDER BY round')
          .all(runId) as {
          round: number;
        }[];
        return rows.map((r) => r.round);
      },
      false,
    );
  }

  async rounds(runId: string): Promise<StoredRound[]> {
    return this.conn.transact(
      'reading rounds',
      () => {
        this.runRow(runId);
        const rows = this.conn
          .sql('SELECT round, record, committed_at FROM rounds WHERE run_id = ? ORDER BY round')
          .all(runId) as { round: number; record: string; committed_at: number }[];
        return rows.map((r) => ({
          round: r.round,
          committedAt: r.committed_at,
          record: decodeJson(r.record, `record of round ${r.round}`) as RoundRecordJson,
        }));
      },
      false,
    );
  }

  async recordEvent(runId: string, event: RunEventInput): Promise<StoredEvent> {
    const kind = checkName(event.kind, 'event kind');
    const round = event.round;
    if (round !== undefined && !(Number.isSafeInteger(round) && round >= 1)) {
      throw new FlotillaError('INVALID_ARGUMENT', `an event round must be an integer >= 1, got ${round}`);
    }
    const data = event.data === undefined ? null : encodeJson(event.data, `data of event "${kind}"`);
    return this.conn.transact('recording an event', () => {
      this.runRow(runId);
      const at = Date.now();
      const { lastInsertRowid } = this.conn
        .sql('INSERT INTO events (run_id, kind, round, data, at) VALUES (?, ?, ?, ?, ?)')
        .run(runId, kind, round ?? null, data, at);
      return {
        id: Number(lastInsertRowid),
        runId,
        kind,
        ...(round !== undefined && { round }),
        ...(event.data !== undefined && { data: event.data }),
        at,
      };
    });
  }

  async events(runId: string, filter: { readonly kind?: string } = {}): Promise<StoredEvent[]> {
    return this.conn.transact(
      'reading events',
      () => {
        this.runRow(runId);
        const rows = (
          filter.kind === undefined
            ? this.conn
                .sql('SELECT id, kind, round, data, at FROM events WHERE run_id = ? ORDER BY id')
                .all(runId)
            : this.conn
                .sql('SELECT id, kind, round, data, at FROM events WHERE run_id = ? AND kind = ? ORDER BY id')
                .all(runId, filter.kind)
        ) as { id: number; kind: string; round: number | null; data: string | null; at: number }[];
        return rows.map((r) => ({
          id: r.id,
          runId,
          kind: r.kind,
          ...(r.round !== null && { round: r.round }),
          ...(r.data !== null && { data: decodeJson(r.data, `data of event ${r.id}`) }),
          at: r.at,
        }));
      },
      false,
    );
  }

  addClient(name: string, options?: AddClientOptions): Promise<NewClient> {
    return this.clients.add(name, options);
  }

  verifyClientToken(name: string, token: string): Promise<boolean> {
    return this.clients.verifyToken(name, token);
  }

  verifyClientCertificate(name: string, fingerprint: string): Promise<boolean> {
    return this.clients.verifyCertificate(name, fingerprint);
  }

  revokeClient(name: string): Promise<ClientInfo> {
    return this.clients.revoke(name);
  }

  markClientSeen(name: string, at?: number): Promise<void> {
    return this.clients.markSeen(name, at);
  }

  getClient(name: string): Promise<ClientInfo | undefined> {
    return this.clients.get(name);
  }

  listClients(): Promise<ClientInfo[]> {
    return this.clients.list();
  }

  createEnrolment(name: string, ttlMs: number, now?: number): Promise<NewEnrolment> {
    return this.enrolments.issue(name, ttlMs, now);
  }

  redeemEnrolment(code: string, now?: number): Promise<NewClient> {
    return this.enrolments.redeem(code, now);
  }

  setAdminToken(token: string): Promise<void> {
    return this.clients.setAdminToken(token);
  }

  verifyAdminToken(token: string): Promise<boolean> {
    return this.clients.verifyAdminToken(token);
  }

  async close(): Promise<void> {
    this.conn.close();
    this.lock?.release();
  }
}

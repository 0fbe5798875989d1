/**
 * The server's durable state (DESIGN principle 4): runs, their committed rounds with the global model after each,
 * the strategy state and privacy ledger needed to resume, failure events, and the client registry with credentials.
 *
 * Every method is async although the default SQLite implementation is synchronous underneath: a PostgreSQL
 * implementation (several server processes sharing state) cannot be, and key derivation runs off the event loop.
 * This file holds only types and constants so that it stays free of platform imports.
 */
import type { ParameterSet } from '../core/index.js';

export type RunStatus = 'created' | 'running' | 'completed' | 'failed' | 'aborted';

export const RUN_STATUSES: readonly RunStatus[] = ['created', 'running', 'completed', 'failed', 'aborted'];

export interface CreateRunInput {
  /** Chosen by the caller (e.g. from a config) or generated. */
  readonly runId?: string;
  readonly name: string;
  /** Strategy name as in configs, e.g. "fedavg". */
  readonly strategy: string;
  /** The run's resolved configuration (any JSON value). */
  readonly config: unknown;
  /** Global parameters before round 1; a run resumed before its first commit starts from these. */
  readonly initialParams: ParameterSet;
  /**
   * How many of the most recent round checkpoints keep their global model and strategy state. Round records are
   * always kept. Undefined keeps every checkpoint.
   */
  readonly keepCheckpoints?: number;
}

export interface RunInfo {
  readonly runId: string;
  readonly name: string;
  readonly strategy: string;
  readonly config: unknown;
  readonly status: RunStatus;
  /** Why the run last changed status (e.g. the error of a failed run). */
  readonly statusMessage?: string;
  readonly keepCheckpoints?: number;
  /** The last committed round, 0 before the first commit. */
  readonly lastRound: number;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/**
 * A round record as storage sees it: any JSON object with a round number (the engine's RoundRecord fits).
 * Non-finite numbers (a NaN loss when no client evaluated) survive the round trip.
 */
export type RoundRecordJson = { readonly round: number } & Readonly<Record<string, unknown>>;

/** Same shape as the strategy layer's StrategyState; storage may not import it (DESIGN layering). */
export interface StoredStrategyState {
  readonly json: unknown;
  readonly tensors: Readonly<Record<string, ParameterSet>>;
}

export interface RoundCommit {
  /** Must be exactly the run's last committed round plus one. */
  readonly record: { readonly round: number };
  /** Global parameters after the round. */
  readonly params: ParameterSet;
  readonly strategyState: StoredStrategyState;
  /** The privacy accountant's snapshot after the round (`PrivacyAccountant.toJSON()`), when the run tracks one. */
  readonly privacyLedger?: unknown;
}

export interface StoredRound {
  readonly round: number;
  readonly committedAt: number;
  readonly record: RoundRecordJson;
}

/** Everything needed to resume a run after its last committed round. */
export interface Checkpoint {
  readonly round: number;
  readonly committedAt: number;
  readonly params: ParameterSet;
  readonly strategyState: StoredStrategyState;
  /** Absent when the round was committed without a ledger. */
  readonly privacyLedger?: unknown;
}

export interface RunEventInput {
  /** Free-form kind, e.g. 'attempt-failed', 'round-failed', 'run-aborted'. */
  readonly kind: string;
  readonly round?: number;
  /** Any JSON value: causes, failing clients, error codes. */
  readonly data?: unknown;
}

export interface StoredEvent {
  /** Increases with insertion order. */
  readonly id: number;
  readonly runId: string;
  readonly kind: string;
  readonly round?: number;
  readonly data?: unknown;
  readonly at: number;
}

export type ClientStatus = 'active' | 'revoked';

export interface ClientInfo {
  readonly name: string;
  readonly status: ClientStatus;
  readonly createdAt: number;
  readonly revokedAt?: number;
  readonly lastSeen?: number;
  /** SHA-256 of the client's TLS certificate, lowercase hex without separators. */
  readonly certificateFingerprint?: string;
}

export interface AddClientOptions {
  /** SHA-256 certificate fingerprint for mutual TLS, hex with or without ':' separators. */
  readonly certificateFingerprint?: string;
}

export interface NewClient {
  readonly client: ClientInfo;
  /** The bearer token, returned once: only a salted hash of it is stored. */
  readonly token: string;
}

/** A one-time enrolment code: `clients add NAME --link` prints it inside a link. */
export interface NewEnrolment {
  readonly client: string;
  /** Shown once: only a salted hash of its secret part is stored. */
  readonly code: string;
  /** Milliseconds since the epoch. */
  readonly expiresAt: number;
}

export interface Storage {
  /** Throws STORAGE_CONFLICT when `runId` is taken. */
  createRun(input: CreateRunInput): Promise<RunInfo>;
  getRun(runId: string): Promise<RunInfo | undefined>;
  /** Newest first. */
  listRuns(): Promise<RunInfo[]>;
  updateRunStatus(runId: string, status: RunStatus, message?: string): Promise<RunInfo>;
  initialParams(runId: string): Promise<ParameterSet>;

  /**
   * Writes the round record, global parameters, strategy state and privacy ledger in one transaction, then prunes
   * checkpoints beyond the run's `keepCheckpoints`. Throws STORAGE_ROUND_ORDER unless the round is exactly the last
   * committed round plus one; on any failure nothing of the round is written.
   */
  commitRound(runId: string, commit: RoundCommit): Promise<void>;
  /** The checkpoint of the last committed round; undefined before the first commit. */
  latestCheckpoint(runId: string): Promise<Checkpoint | undefined>;
  /** A retained checkpoint; undefined when the round was not committed or was pruned. */
  checkpoint(runId: string, round: number): Promise<Checkpoint | undefined>;
  /** Rounds whose checkpoint is still retained, ascending. */
  checkpointRounds(runId: string): Promise<number[]>;
  /** Committed round records, ascending. */
  rounds(runId: string): Promise<StoredRound[]>;

  /** Records something that did not become a committed round (failed attempts, aborted rounds, run failures). */
  recordEvent(runId: string, event: RunEventInput): Promise<StoredEvent>;
  /** In insertion order, optionally only one kind. */
  events(runId: string, filter?: { readonly kind?: string }): Promise<StoredEvent[]>;

  /** Registers a client and returns its token once. Throws STORAGE_CONFLICT when the name is taken. */
  addClient(name: string, options?: AddClientOptions): Promise<NewClient>;
  /** True only for an active client and its exact token; revocation takes effect on the next call. */
  verifyClientToken(name: string, token: string): Promise<boolean>;
  /** True only for an active client registered with this certificate fingerprint. */
  verifyClientCertificate(name: string, fingerprint: string): Promise<boolean>;
  /** Idempotent: revoking a revoked client keeps its first revocation time. */
  revokeClient(name: string): Promise<ClientInfo>;
  markClientSeen(name: string, at?: number): Promise<void>;
  getClient(name: string): Promise<ClientInfo | undefined>;
  /** Ordered by name. */
  listClients(): Promise<ClientInfo[]>;

  /**
   * A one-time enrolment code for an active client, valid `ttlMs` from `now`; it replaces the client's unused
   * code. Throws STORAGE_NOT_FOUND for an unknown client, STORAGE_CONFLICT for a revoked one.
   */
  createEnrolment(name: string, ttlMs: number, now?: number): Promise<NewEnrolment>;
  /**
   * Redeems a code once: gives its client a new token (returned once, only its hash stored; the old token stops
   * working). Throws ENROLMENT_UNKNOWN (unknown or wrong), ENROLMENT_USED, ENROLMENT_EXPIRED or ENROLMENT_REVOKED.
   */
  redeemEnrolment(code: string, now?: number): Promise<NewClient>;

  /** Replaces the admin token (only its salted hash is stored). */
  setAdminToken(token: string): Promise<void>;
  /** False when no admin token was set. */
  verifyAdminToken(token: string): Promise<boolean>;

  close(): Promise<void>;
}

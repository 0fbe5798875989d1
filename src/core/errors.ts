/**
 * Typed errors. Every error Flotilla raises on purpose carries a stable `code` (for programs) and a message that
 * names what is wrong (for people). `userFacing` errors are caused by input the user controls (a config file, a
 * dataset, a flag) and are printed as one line without a stack trace.
 * @example
 * ```ts
 * const code: ErrorCode = 'CONFIG_INVALID';
 * ```
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'NON_FINITE'
  | 'CODEC_TRUNCATED'
  | 'CODEC_CORRUPT'
  | 'CODEC_OVERSIZED'
  | 'CODEC_VERSION'
  | 'MESSAGE_INVALID'
  | 'CONFIG_INVALID'
  | 'DATA_INVALID'
  | 'DATA_NOT_FOUND'
  | 'MODEL_INVALID'
  | 'STRATEGY_FAILED'
  /** A checkpointed strategy state does not fit the strategy asked to load it. */
  | 'STATE_INVALID'
  | 'ROUND_FAILED'
  /** A round waited longer than its client wait timeout for enough clients to connect. */
  | 'CLIENT_WAIT_TIMEOUT'
  | 'CLIENT_FAILED'
  /** A fit task needs a part of training only the trainer can do (FedProx's term, DP-SGD...) and it does not declare it. */
  | 'TRAINER_UNSUPPORTED'
  | 'WORKER_FAILED'
  | 'TIMEOUT'
  | 'PRIVACY_UNATTAINABLE'
  /** A release (a round, a client's update) would take a privacy ledger over its budget, so it was refused. */
  | 'PRIVACY_BUDGET_EXHAUSTED'
  /** A secure-aggregation round stopped without a result (too few survivors, unrecoverable shares); nothing released. */
  | 'SECAGG_ABORTED'
  /** A secure-aggregation message was refused: wrong round or stage, replay, bad signature, failed authentication. */
  | 'SECAGG_REJECTED'
  /** A secure-aggregation client refused a request that could unmask a client, or one it must not answer. */
  | 'SECAGG_REFUSED'
  /** The platform's crypto lacks an algorithm secure aggregation needs (X25519, Ed25519, HKDF, AES-GCM, AES-CTR). */
  | 'CRYPTO_UNAVAILABLE'
  /** A run, round or client asked of storage does not exist. */
  | 'STORAGE_NOT_FOUND'
  /** A run id or client name is already taken. */
  | 'STORAGE_CONFLICT'
  /** A round commit is not exactly the round after the last committed one (a gap or a repeat). */
  | 'STORAGE_ROUND_ORDER'
  /** The database was written by a newer Flotilla (its schema version is unknown here). */
  | 'STORAGE_VERSION'
  /** Stored data does not decode (blob size does not match its layout, unreadable JSON). */
  | 'STORAGE_CORRUPT'
  /** The database itself failed (I/O error, disk full, locked by another process). */
  | 'STORAGE_FAILED'
  /** Another process holds the exclusive lock (a second server on one database, a second federation in one folder). */
  | 'STORAGE_LOCKED'
  /** The file named as a database is not one (not SQLite: a CSV, a config file...). */
  | 'STORAGE_INVALID'
  /** The address a server should listen on is taken by another program, or not allowed. */
  | 'ADDRESS_IN_USE'
  /** A peer speaks a protocol version this build does not. */
  | 'PROTOCOL_VERSION'
  /** A credential was missing, unknown, revoked or wrong. */
  | 'AUTH_FAILED'
  /** An enrolment code is unknown or wrong (never issued, mistyped, or cut short when copied). */
  | 'ENROLMENT_UNKNOWN'
  /** An enrolment code was already redeemed: each link works once. */
  | 'ENROLMENT_USED'
  /** An enrolment code is past its expiry (`clients add --link-ttl`). */
  | 'ENROLMENT_EXPIRED'
  /** An enrolment code names a client that was revoked since it was issued. */
  | 'ENROLMENT_REVOKED'
  /** A peer refused the session or closed the connection. */
  | 'CONNECTION_CLOSED'
  /** TLS material (certificates, keys) is missing or unusable. */
  | 'TLS_INVALID';

const USER_FACING: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_ARGUMENT',
  'CODEC_TRUNCATED',
  'CODEC_CORRUPT',
  'CODEC_OVERSIZED',
  'CODEC_VERSION',
  'MESSAGE_INVALID',
  'CONFIG_INVALID',
  'DATA_INVALID',
  'DATA_NOT_FOUND',
  'MODEL_INVALID',
  'TRAINER_UNSUPPORTED',
  'STATE_INVALID',
  'PRIVACY_UNATTAINABLE',
  'STORAGE_NOT_FOUND',
  'STORAGE_CONFLICT',
  'STORAGE_VERSION',
  'STORAGE_LOCKED',
  'STORAGE_INVALID',
  'ADDRESS_IN_USE',
  'PROTOCOL_VERSION',
  'AUTH_FAILED',
  'ENROLMENT_UNKNOWN',
  'ENROLMENT_USED',
  'ENROLMENT_EXPIRED',
  'ENROLMENT_REVOKED',
  'TLS_INVALID',
]);

/**
 * Every error Flotilla raises on purpose: a stable `code` for programs, a message that names what is wrong
 * for people, and optional `details`.
 * @example
 * ```ts
 * try {
 *   await simulate({ settings: { rounds: -1 } });
 * } catch (error) {
 *   if (isFlotillaError(error, 'CONFIG_INVALID')) console.error(error.message); // names the key and the rule
 * }
 * ```
 */
export class FlotillaError extends Error {
  readonly code: ErrorCode;
  /** Extra machine-readable context (a key path, a line number, a client id...). */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'FlotillaError';
    this.code = code;
    this.details = details;
  }

  /** True when the error is caused by user input and should be shown as one line, without a stack trace. */
  get userFacing(): boolean {
    return USER_FACING.has(this.code);
  }
}

/**
 * True when `error` is a FlotillaError (with `code`, when given).
 * @example
 * ```ts
 * if (isFlotillaError(error, 'AUTH_FAILED')) console.error('check the client token');
 * ```
 */
export function isFlotillaError(error: unknown, code?: ErrorCode): error is FlotillaError {
  return error instanceof FlotillaError && (code === undefined || error.code === code);
}

/** Throws INVALID_ARGUMENT unless `condition` holds. */
export function require(
  condition: boolean,
  message: string,
  details?: Record<string, unknown>,
): asserts condition {
  if (!condition) throw new FlotillaError('INVALID_ARGUMENT', message, details);
}

/**
 * The client registry and credentials in SQLite: who may connect, with which token or certificate, since when, and
 * whether they were revoked. Tokens are hashed (./credentials.ts) before the write transaction starts, and every
 * verification reads the current row, so a revocation applies to the very next connection attempt.
 */
import { FlotillaError, checkClientId } from '../../core/index.js';
import type { AddClientOptions, ClientInfo, ClientStatus, NewClient } from '../storage.js';
import type { Connection } from './connection.js';
import {
  ADMIN_TOKEN_COST,
  CLIENT_TOKEN_COST,
  generateToken,
  hashToken,
  normalizeFingerprint,
  verifyToken,
} from './credentials.js';

export interface ClientRow {
  name: string;
  status: ClientStatus;
  certificate_fingerprint: string | null;
  created_at: number;
  revoked_at: number | null;
  last_seen: number | null;
}

export const CLIENT_COLUMNS = 'name, status, certificate_fingerprint, created_at, revoked_at, last_seen';

export function toClientInfo(row: ClientRow): ClientInfo {
  return {
    name: row.name,
    status: row.status,
    createdAt: row.created_at,
    ...(row.revoked_at !== null && { revokedAt: row.revoked_at }),
    ...(row.last_seen !== null && { lastSeen: row.last_seen }),
    ...(row.certificate_fingerprint !== null && { certificateFingerprint: row.certificate_fingerprint }),
  };
}

export class SqliteClientRegistry {
  private readonly conn: Connection;

  constructor(conn: Connection) {
    this.conn = conn;
  }

  async add(name: string, options: AddClientOptions = {}): Promise<NewClient> {
    checkClientId(name);
    const fingerprint =
      options.certificateFingerprint === undefined
        ? null
        : normalizeFingerprint(options.certificateFingerprint);
    const token = generateToken();
    const hash = await hashToken(token, CLIENT_TOKEN_COST);
    const client = this.conn.transact(`adding client "${name}"`, () => {
      if (this.conn.sql('SELECT 1 FROM clients WHERE name = ?').get(name)) {
        throw new FlotillaError('STORAGE_CONFLICT', `a client named "${name}" already exists`, {
          client: name,
        });
      }
      if (
        fingerprint !== null &&
        this.conn.sql('SELECT 1 FROM clients WHERE certificate_fingerprint = ?').get(fingerprint)
      ) {
        throw new FlotillaError(
          'STORAGE_CONFLICT',
          'another client is registered with this certificate fingerprint',
          {
            client: name,
          },
        );
      }
      this.conn
        .sql(
          `INSERT INTO clients (name, token_hash, certificate_fingerprint, status, created_at)
          VALUES (?, ?, ?, 'active', ?)`,
        )
        .run(name, hash, fingerprint, Date.now());
      return this.row(name)!;
    });
    return { client: toClientInfo(client), token };
  }

  private row(name: string): ClientRow | undefined {
    return this.conn.sql(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE name = ?`).get(name) as
      ClientRow | undefined;
  }

  async verifyToken(name: string, token: string): Promise<boolean> {
    if (typeof name !== 'string' || typeof token !== 'string' || token.length === 0) return false;
    // Read at call time, never cached: a revocation applies to the very next verification.
    const row = this.conn.transact(
      'reading a client credential',
      () =>
        this.conn.sql("SELECT token_hash FROM clients WHERE name = ? AND status = 'active'").get(name) as
          { token_hash: string } | undefined,
      false,
    );
    return verifyToken(token, row?.token_hash);
  }

  async verifyCertificate(name: string, fingerprint: string): Promise<boolean> {
    const normalized = normalizeFingerprint(fingerprint);
    const row = this.conn.transact(
      'reading a client certificate',
      () =>
        this.conn
          .sql("SELECT 1 FROM clients WHERE name = ? AND status = 'active' AND certificate_fingerprint = ?")
          .get(name, normalized),
      false,
    );
    return row !== undefined;
  }

  async revoke(name: string): Promise<ClientInfo> {
    return this.conn.transact(`revoking client "${name}"`, () => {
      const { changes } = this.conn
        .sql("UPDATE clients SET status = 'revoked', revoked_at = coalesce(revoked_at, ?) WHERE name = ?")
        .run(Date.now(), name);
      if (changes === 0)
        throw new FlotillaError('STORAGE_NOT_FOUND', `no client named "${name}"`, { client: name });
      return toClientInfo(this.row(name)!);
    });
  }

  async markSeen(name: string, at: number = Date.now()): Promise<void> {
    this.conn.transact(`marking client "${name}" seen`, () => {
      const { changes } = this.conn.sql('UPDATE clients SET last_seen = ? WHERE name = ?').run(at, name);
      if (changes === 0)
        throw new FlotillaError('STORAGE_NOT_FOUND', `no client named "${name}"`, { client: name });
    });
  }

  async get(name: string): Promise<ClientInfo | undefined> {
    const row = this.conn.transact('reading a client', () => this.row(name), false);
    return row && toClientInfo(row);
  }

  async list(): Promise<ClientInfo[]> {
    return this.conn.transact(
      'listing clients',
      () =>
        (this.conn.sql(`SELECT ${CLIENT_COLUMNS} FROM clients ORDER BY name`).all() as ClientRow[]).map(
          toClientInfo,
        ),
      false,
    );
  }

  async setAdminToken(token: string): Promise<void> {
    const hash = await hashToken(token, ADMIN_TOKEN_COST);
    this.conn.transact('setting the admin token', () => {
      this.conn
        .sql(
          `INSERT INTO admin_token (id, token_hash, updated_at) VALUES (1, ?, ?)
          ON CONFLICT (id) DO UPDATE SET token_hash = excluded.token_hash, updated_at = excluded.updated_at`,
        )
        .run(hash, Date.now());
    });
  }

  async verifyAdminToken(token: string): Promise<boolean> {
    if (typeof token !== 'string' || token.length === 0) return false;
    const row = this.conn.transact(
      'reading the admin token',
      () =>
        this.conn.sql('SELECT token_hash FROM admin_token WHERE id = 1').get() as
          { token_hash: string } | undefined,
      false,
    );
    return verifyToken(token, row?.token_hash);
  }
}

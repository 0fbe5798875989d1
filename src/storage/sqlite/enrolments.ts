/**
 * One-time enrolment codes in SQLite. A code is `<id>.<secret>`: the id (72 random bits) finds the row, the secret
 * (256 random bits) is checked against its salted hash, exactly like a client token, so a database leak does not
 * leak usable links. Redeeming marks the code used and replaces the client's token in one transaction: a code
 * works once even when two requests race, and the token it returns is the client's only valid one from then on.
 */
import { randomBytes } from 'node:crypto';
import { FlotillaError } from '../../core/index.js';
import type { NewClient, NewEnrolment } from '../storage.js';
import { CLIENT_COLUMNS, toClientInfo, type ClientRow } from './clients.js';
import type { Connection } from './connection.js';
import { CLIENT_TOKEN_COST, generateToken, hashToken, verifyToken } from './credentials.js';

const CODE = /^([A-Za-z0-9_-]{12})\.([A-Za-z0-9_-]{43})$/;

interface EnrolmentRow {
  client: string;
  secret_hash: string;
  expires_at: number;
  used_at: number | null;
}

function refused(
  code: 'ENROLMENT_UNKNOWN' | 'ENROLMENT_USED' | 'ENROLMENT_EXPIRED' | 'ENROLMENT_REVOKED',
  message: string,
) {
  return new FlotillaError(code, message);
}

export class SqliteEnrolments {
  constructor(private readonly conn: Connection) {}

  async issue(name: string, ttlMs: number, now: number = Date.now()): Promise<NewEnrolment> {
    if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `an enrolment link's lifetime must be a positive number of ms, got ${ttlMs}`,
      );
    }
    const id = randomBytes(9).toString('base64url');
    const secret = randomBytes(32).toString('base64url');
    const hash = await hashToken(secret, CLIENT_TOKEN_COST);
    const expiresAt = now + ttlMs;
    this.conn.transact(`issuing an enrolment link for "${name}"`, () => {
      const client = this.conn.sql('SELECT status FROM clients WHERE name = ?').get(name) as
        { status: string } | undefined;
      if (!client)
        throw new FlotillaError('STORAGE_NOT_FOUND', `no client named "${name}"`, { client: name });
      if (client.status !== 'active') {
        throw new FlotillaError(
          'STORAGE_CONFLICT',
          `client "${name}" is revoked: its link would be refused`,
          {
            client: name,
          },
        );
      }
      // A new link replaces one not used yet: the operator re-sent it, so the old message should stop working.
      this.conn.sql('DELETE FROM enrolments WHERE client = ? AND used_at IS NULL').run(name);
      this.conn
        .sql(
          'INSERT INTO enrolments (id, client, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(id, name, hash, now, expiresAt);
    });
    return { client: name, code: `${id}.${secret}`, expiresAt };
  }

  async redeem(code: string, now: number = Date.now()): Promise<NewClient> {
    const parts = typeof code === 'string' ? CODE.exec(code) : null;
    const id = parts?.[1];
    const row =
      id === undefined ? undefined : this.conn.transact('reading an enrolment', () => this.row(id), false);
    // Always one scrypt: an unknown id and a wrong secret cost the same and get the same answer.
    if (!(await verifyToken(parts?.[2] ?? 'x', row?.secret_hash)) || !row) {
      throw refused('ENROLMENT_UNKNOWN', 'this enrolment link is not valid: ask the operator for a new one');
    }
    const token = generateToken();
    const hash = await hashToken(token, CLIENT_TOKEN_COST);
    return this.conn.transact('redeeming an enrolment', () => {
      // Read again inside the write transaction: a concurrent redemption may have won.
      const current = this.row(id!)!;
      if (current.used_at !== null) {
        throw refused(
          'ENROLMENT_USED',
          'this enrolment link was already used: ask the operator for a new one',
        );
      }
      const client = this.conn
        .sql(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE name = ?`)
        .get(current.client) as ClientRow;
      if (client.status !== 'active') {
        throw refused(
          'ENROLMENT_REVOKED',
          `client "${client.name}" was revoked: its enrolment link no longer works`,
        );
      }
      if (now >= current.expires_at) {
        throw refused(
          'ENROLMENT_EXPIRED',
          `this enrolment link expired at ${new Date(current.expires_at).toISOString()}: ask the operator for a new one`,
        );
      }
      this.conn.sql('UPDATE enrolments SET used_at = ? WHERE id = ?').run(now, id);
      this.conn.sql('UPDATE clients SET token_hash = ? WHERE name = ?').run(hash, client.name);
      return { client: toClientInfo(client), token };
    });
  }

  private row(id: string): EnrolmentRow | undefined {
    return this.conn
      .sql('SELECT client, secret_hash, expires_at, used_at FROM enrolments WHERE id = ?')
      .get(id) as EnrolmentRow | undefined;
  }
}

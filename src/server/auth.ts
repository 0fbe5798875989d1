/**
 * Client authentication against the server's registry (src/storage). Without mutual TLS a client proves itself with
 * its bearer token, checked against a salted hash. Under mutual TLS the TLS layer has verified that the peer's
 * certificate chains to the CA, and this binds it to the client: the certificate's SHA-256 fingerprint must be the
 * one registered for the client id the hello claims (a token, when sent too, must also be right). Without that
 * binding any CA-signed certificate plus another client's token would pass. Revocation takes effect at once because
 * every handshake asks storage; the server also drops revoked clients that are already connected (server.ts).
 */
import type { Storage } from '../storage/index.js';
import type { AuthDecision, Authenticator, Credentials } from '../transport/websocket/index.js';

export interface AuthenticatorOptions {
  /** Mutual TLS: the verified client certificate must be the one registered for the claimed client. */
  readonly requireCertificate?: boolean;
}

export class StorageAuthenticator implements Authenticator {
  constructor(
    private readonly storage: Storage,
    private readonly options: AuthenticatorOptions = {},
  ) {}

  async authenticate(c: Credentials): Promise<AuthDecision> {
    // One reason for every token failure, so a prober cannot tell unknown from revoked from wrong.
    const refused: AuthDecision = { ok: false, reason: `no valid credential for client "${c.clientId}"` };
    if (this.options.requireCertificate) {
      const mismatch = await this.certificateMismatch(c);
      if (mismatch !== undefined) return { ok: false, reason: mismatch };
      if (c.token.length > 0 && !(await this.storage.verifyClientToken(c.clientId, c.token))) return refused;
    } else if (!(c.token.length > 0 && (await this.storage.verifyClientToken(c.clientId, c.token)))) {
      return refused;
    }
    await this.storage.markClientSeen(c.clientId);
    return { ok: true };
  }

  /** Why the connection's certificate does not identify `c.clientId`, or undefined when it does. */
  private async certificateMismatch(c: Credentials): Promise<string | undefined> {
    if (c.certificateFingerprint === undefined) {
      return 'mutual TLS: the connection presented no verified client certificate';
    }
    const client = await this.storage.getClient(c.clientId);
    if (client?.status !== 'active') return `no valid credential for client "${c.clientId}"`;
    if (client.certificateFingerprint === undefined) {
      return (
        `mutual TLS: client "${c.clientId}" has no registered certificate ` +
        `(register one with \`flotilla clients add ${c.clientId} --cert FILE\`)`
      );
    }
    if (!(await this.storage.verifyClientCertificate(c.clientId, c.certificateFingerprint))) {
      return (
        `mutual TLS: the client certificate (sha256 ${c.certificateFingerprint.slice(0, 16)}...) ` +
        `is not the one registered for client "${c.clientId}"`
      );
    }
    return undefined;
  }
}

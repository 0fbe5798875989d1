/**
 * Client authentication against the server's registry (src/storage): a bearer token checked against its salted hash,
 * or, under mutual TLS, the fingerprint of the verified client certificate. Revocation takes effect at once because
 * every handshake asks storage; the server also drops revoked clients that are already connected (server.ts).
 */
import type { Storage } from '../storage/index.js';
import type { AuthDecision, Authenticator, Credentials } from '../transport/websocket/index.js';

export class StorageAuthenticator implements Authenticator {
  constructor(private readonly storage: Storage) {}

  async authenticate(c: Credentials): Promise<AuthDecision> {
    const byToken = c.token.length > 0 && (await this.storage.verifyClientToken(c.clientId, c.token));
    const byCertificate =
      !byToken &&
      c.certificateFingerprint !== undefined &&
      (await this.storage.verifyClientCertificate(c.clientId, c.certificateFingerprint));
    if (!byToken && !byCertificate) {
      // One reason for every failure, so a prober cannot tell unknown from revoked from wrong.
      return { ok: false, reason: `no valid credential for client "${c.clientId}"` };
    }
    await this.storage.markClientSeen(c.clientId);
    return { ok: true };
  }
}

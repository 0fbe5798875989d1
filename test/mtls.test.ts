/**
 * Mutual TLS binds the certificate to the client: on a real mutual-TLS server, a hello is welcomed only when the
 * connection's verified certificate is the one registered for the client id it claims. A certificate from the right
 * CA with another client's token is refused, and so is a client registered without a certificate.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCertificates } from '../src/server/certs.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { flotilla } from './support/federation.js';
import { startFront, type Front, type FrontClient } from './support/front.js';
import { helloFrame, openPeer, rawPeer } from './support/raw-peer.js';

let front: Front | undefined;
afterEach(async () => {
  await front?.stop();
  front = undefined;
});

describe('mutual TLS', () => {
  it("refuses a certificate that is not the claimed client's, and welcomes the right pair", async () => {
    const f = (front = await startFront(['a', 'b', 'c'], { mtls: true, withCertificate: ['a', 'b'] }));
    const { a, b, c } = f.clients as Record<'a' | 'b' | 'c', FrontClient>;
    const refusalOf = (as: FrontClient, clientId: string, token: string) =>
      rawPeer(f.url, [helloFrame(clientId, token)], { ca: f.ca, cert: as.cert, key: as.key });

    // Client A's certificate with client B's (valid) token: the attack from the report.
    const stolen = await refusalOf(a, 'b', b.token);
    expect(stolen.refusal?.code).toBe('AUTH_FAILED');
    expect(stolen.refusal?.message).toMatch(
      /^mutual TLS: the client certificate \(sha256 [0-9a-f]{16}\.\.\.\) is not the one registered for client "b"$/,
    );
    expect(stolen.refusal?.message).not.toContain(b.token.slice(0, 8));

    // Registered without a certificate: cannot connect under mutual TLS, even with its own token.
    const unbound = await refusalOf(c, 'c', c.token);
    expect(unbound.refusal?.code).toBe('AUTH_FAILED');
    expect(unbound.refusal?.message).toMatch(/client "c" has no registered certificate/);

    // The right certificate with a wrong token: a token that is sent must be right too.
    expect((await refusalOf(b, 'b', 'not-the-token')).refusal?.code).toBe('AUTH_FAILED');
    expect(f.server.pool.available()).toEqual([]);

    // The right pairs: B's certificate and token, and A's certificate alone (no token).
    for (const [as, clientId, token] of [
      [b, 'b', b.token],
      [a, 'a', ''],
    ] as const) {
      const peer = await openPeer(f.url, { ca: f.ca, cert: as.cert, key: as.key });
      peer.socket.send(helloFrame(clientId, token));
      await peer.welcomed;
    }
    expect(f.server.pool.available().map((d) => d.id)).toEqual(['b', 'a']);
  });

  it('registers a client certificate from its PEM file: `clients add NAME --cert FILE`', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'flotilla-mtls-'));
    try {
      const certs = await createCertificates(join(dir, 'tls'), { hosts: ['127.0.0.1'], clients: ['site'] });
      const file = join(dir, 'tls', 'clients', 'site.crt');
      const db = join(dir, 'server.db');
      const added = flotilla(['clients', 'add', 'site', '--cert', file, '--db', db]);
      expect(await added.exited, added.output).toBe(0);
      const storage = SqliteStorage.open(db);
      const stored = (await storage.getClient('site'))?.certificateFingerprint;
      await storage.close();
      const der = new X509Certificate(await readFile(file)).raw;
      expect(stored).toBe(createHash('sha256').update(der).digest('hex'));
      expect(stored).toBe(certs.clientFingerprints.site);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/**
 * `flotilla certs init`: a private CA, a server certificate for the given host names and IP addresses, and one
 * client certificate per client (for mutual TLS), all ECDSA P-256, generated with WebCrypto through @peculiar/x509.
 * Keys are written readable by the owner only.
 */
import { createHash, webcrypto } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { FlotillaError, checkClientId } from '../core/index.js';

const crypto = webcrypto as unknown as Crypto;

type X509Module = typeof X509;
let x509: X509Module;

/**
 * @peculiar/x509 resolves its services through tsyringe, which needs Reflect metadata as it loads. Node runs a
 * CommonJS dependency while it links the importing module, before any sibling import is evaluated, so the library
 * is imported dynamically after the `reflect-metadata` polyfill.
 */
async function loadX509(): Promise<X509Module> {
  if (!x509) {
    await import('reflect-metadata');
    x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(crypto);
  }
  return x509;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * What {@link createCertificates} makes: the server's host names, client certificates for mutual TLS, validity.
 * @example
 * ```ts
 * await createCertificates('tls', { hosts: ['localhost', '10.0.0.5'], clients: ['alice'] } satisfies CertsOptions);
 * ```
 */
export interface CertsOptions {
  /** Host names and IP addresses the server is reached at (its subject alternative names). */
  readonly hosts: readonly string[];
  readonly clients: readonly string[];
  /** Validity in days. Default 825 (the longest most TLS clients accept for a server certificate). */
  readonly days?: number;
}

/**
 * The files {@link createCertificates} wrote, and the client certificates' fingerprints.
 * @example
 * ```ts
 * const { files, clientFingerprints } = await createCertificates('tls', { hosts: ['localhost'], clients: ['alice'] });
 * ```
 */
export interface CertsResult {
  readonly dir: string;
  readonly files: readonly string[];
  /** SHA-256 fingerprint (lowercase hex) of each client certificate, for `flotilla clients add --cert`. */
  readonly clientFingerprints: Readonly<Record<string, string>>;
}

function pemKey(der: ArrayBuffer): string {
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function keyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
}

async function issue(
  subject: string,
  keys: CryptoKeyPair,
  ca: { cert: X509.X509Certificate; keys: CryptoKeyPair },
  extensions: X509.Extension[],
  days: number,
): Promise<X509.X509Certificate> {
  const notBefore = new Date(Date.now() - 60_000);
  return x509.X509CertificateGenerator.create({
    subject,
    issuer: ca.cert.subject,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * 86_400_000),
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, crypto),
      ...extensions,
    ],
  });
}

/**
 * Creates a private CA, a server certificate for `hosts` and one certificate per client in `dir` (ca.crt,
 * server.crt, server.key, CLIENT.crt, CLIENT.key), as `flotilla certs init` does: `tlsDir` for a server.
 * @example
 * ```ts
 * await createCertificates('tls', { hosts: ['localhost'], clients: [] });
 * const server = await startServer({ settings: { host: 'localhost', tlsDir: 'tls', inputSize: 21 } });
 * ```
 */
export async function createCertificates(dir: string, options: CertsOptions): Promise<CertsResult> {
  await loadX509();
  const days = options.days ?? 825;
  if (options.hosts.length === 0) {
    throw new FlotillaError('INVALID_ARGUMENT', 'certs init needs at least one host name or IP address');
  }
  for (const name of options.clients) checkClientId(name);
  await mkdir(join(dir, 'clients'), { recursive: true });
  const files: string[] = [];
  const write = async (name: string, text: string, secret: boolean) => {
    const path = join(dir, name);
    await writeFile(path, text, { mode: secret ? 0o600 : 0o644 });
    files.push(path);
  };

  const caKeys = await keyPair();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Flotilla CA',
    keys: caKeys,
    notBefore: new Date(Date.now() - 60_000),
    notAfter: new Date(Date.now() + days * 86_400_000),
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey, false, crypto),
    ],
  });
  const ca = { cert: caCert, keys: caKeys };
  await write('ca.crt', caCert.toString('pem') + '\n', false);
  await write('ca.key', pemKey(await crypto.subtle.exportKey('pkcs8', caKeys.privateKey)), true);

  const serverKeys = await keyPair();
  const san = options.hosts.map((h) => ({ type: isIP(h) ? ('ip' as const) : ('dns' as const), value: h }));
  const serverCert = await issue(
    `CN=${options.hosts[0]}`,
    serverKeys,
    ca,
    [
      new x509.SubjectAlternativeNameExtension(san, false),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
    ],
    days,
  );
  await write('server.crt', serverCert.toString('pem') + '\n', false);
  await write('server.key', pemKey(await crypto.subtle.exportKey('pkcs8', serverKeys.privateKey)), true);

  const clientFingerprints: Record<string, string> = {};
  for (const name of options.clients) {
    const keys = await keyPair();
    const cert = await issue(
      `CN=${name}`,
      keys,
      ca,
      [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false)],
      days,
    );
    await write(join('clients', `${name}.crt`), cert.toString('pem') + '\n', false);
    await write(
      join('clients', `${name}.key`),
      pemKey(await crypto.subtle.exportKey('pkcs8', keys.privateKey)),
      true,
    );
    clientFingerprints[name] = createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex');
  }
  return { dir, files, clientFingerprints };
}

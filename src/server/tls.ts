/** Reads the server's TLS material: certificate chain, key, and (for mutual TLS) the CA that signs client certs. */
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { FlotillaError } from '../core/index.js';

export interface TlsFiles {
  readonly cert: string;
  readonly key: string;
  /** CA certificate that client certificates must chain to; required for mutual TLS. */
  readonly ca?: string;
  readonly requireClientCert: boolean;
}

export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly requestCert: boolean;
  readonly rejectUnauthorized: boolean;
}

function read(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new FlotillaError(
      'TLS_INVALID',
      `cannot read the ${what} ${path}: ${(error as Error).message} (create one with \`flotilla certs init\`)`,
    );
  }
}

export function loadTls(files: TlsFiles): TlsMaterial {
  if (files.requireClientCert && !files.ca) {
    throw new FlotillaError(
      'TLS_INVALID',
      'mutual TLS needs the CA certificate that signs client certificates',
    );
  }
  return {
    cert: read(files.cert, 'server certificate'),
    key: read(files.key, 'server key'),
    ...(files.ca ? { ca: read(files.ca, 'CA certificate') } : {}),
    requestCert: files.requireClientCert,
    rejectUnauthorized: files.requireClientCert,
  };
}

/** "AB:CD:..." (Node's fingerprint256) to the registry's lowercase hex without separators. */
export function normalizeFingerprint(fingerprint: string): string {
  return fingerprint.replace(/:/g, '').toLowerCase();
}

/**
 * The SHA-256 fingerprint (lowercase hex, of the DER encoding) of a client certificate, for the registry: `source` is
 * a PEM file (e.g. clients/NAME.crt from `flotilla certs init`) or, when no such file exists, a fingerprint already.
 */
export function clientCertificateFingerprint(source: string): string {
  if (!existsSync(source)) {
    if (/^[0-9a-fA-F:]{64,}$/.test(source)) return source; // the registry checks it is a SHA-256 digest
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `${source} is neither a certificate file nor a SHA-256 fingerprint`,
    );
  }
  try {
    return normalizeFingerprint(new X509Certificate(readFileSync(source)).fingerprint256);
  } catch (error) {
    throw new FlotillaError('TLS_INVALID', `${source} is not a PEM certificate: ${(error as Error).message}`);
  }
}

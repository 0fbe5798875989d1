/** Reads the server's TLS material: certificate chain, key, and (for mutual TLS) the CA that signs client certs. */
import { readFileSync } from 'node:fs';
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

/**
 * Why a socket failed, where the platform says: Node's `ws` hands the underlying error (with its OpenSSL or system
 * code) to the error event; a browser's WebSocket hides the cause on purpose, so there the close code is all there
 * is. A certificate that does not verify, or a TLS handshake the server refuses, will fail the same way on every
 * retry, so those failures are not retryable: the client stops and names them instead of looping on "closed (1006)".
 * Browser-safe: it only reads the event.
 */
export interface SocketFailure {
  /** One line, e.g. "TLS: host name mismatch (ERR_TLS_CERT_ALTNAME_INVALID): ...". */
  readonly message: string;
  readonly retryable: boolean;
}

const UNKNOWN_CA = 'certificate signed by unknown authority';
const TRUST_HINT = '; pass the CA that signed the server certificate with --ca (from `flotilla certs init`)';

/** OpenSSL's and Node's certificate verification codes, in words, with what to do where that is clear. */
const CERTIFICATE_ERRORS: Readonly<Record<string, readonly [string, string?]>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: [UNKNOWN_CA, TRUST_HINT],
  UNABLE_TO_GET_ISSUER_CERT: [UNKNOWN_CA, TRUST_HINT],
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: [UNKNOWN_CA, TRUST_HINT],
  SELF_SIGNED_CERT_IN_CHAIN: [UNKNOWN_CA, TRUST_HINT],
  DEPTH_ZERO_SELF_SIGNED_CERT: ['self-signed certificate not trusted', TRUST_HINT],
  CERT_HAS_EXPIRED: ['certificate expired'],
  CERT_NOT_YET_VALID: ['certificate not yet valid'],
  CERT_REVOKED: ['certificate revoked'],
  ERR_TLS_CERT_ALTNAME_INVALID: ['host name mismatch'],
};

export function describeSocketError(event: unknown): SocketFailure | undefined {
  const error = (event as { error?: unknown } | null)?.error;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string') return { message: error.message, retryable: true };
  const known = CERTIFICATE_ERRORS[code];
  if (known !== undefined) {
    const [words, hint = ''] = known;
    // Node's own text adds the detail that matters for a name mismatch (which names the certificate holds).
    const detail = code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? `: ${error.message}` : '';
    return { message: `TLS: ${words} (${code})${detail}${hint}`, retryable: false };
  }
  // Other verification failures and handshake alerts (a client certificate refused, a plain-HTTP port).
  if (/CERT/.test(code) || code.startsWith('ERR_SSL_')) {
    return { message: `TLS: ${error.message} (${code})`, retryable: false };
  }
  return {
    message: error.message.includes(code) ? error.message : `${error.message} (${code})`,
    retryable: true,
  };
}

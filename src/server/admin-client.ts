/**
 * A client of the server's JSON admin API (app.ts): `flotilla status` and the federation's live progress use it.
 * Node's fetch cannot be given a private CA, so requests go through node:https with the CA from `certs init`.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { FlotillaError } from '../core/index.js';

export interface AdminClientOptions {
  /** The server: https://host:port, or the clients' endpoint wss://host:port/ws (same host and port). */
  readonly server: string;
  readonly adminToken: string;
  /** CA certificate (PEM file) that signed the server certificate. */
  readonly caFile?: string;
  /** Milliseconds before a request is abandoned. Default 10 000. */
  readonly timeoutMs?: number;
}

/** The API's base URL from what an operator is likely to have at hand: the admin URL or the clients' endpoint. */
export function adminBaseUrl(server: string): URL {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new FlotillaError('INVALID_ARGUMENT', `"${server}" is not a URL (e.g. https://127.0.0.1:8443)`);
  }
  const protocol = { 'wss:': 'https:', 'ws:': 'http:', 'https:': 'https:', 'http:': 'http:' }[url.protocol];
  if (!protocol) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `"${server}" must be an https://, http://, wss:// or ws:// URL`,
    );
  }
  return new URL(`${protocol}//${url.host}/`);
}

export class AdminClient {
  private readonly base: URL;
  private readonly ca: Buffer | undefined;

  constructor(private readonly options: AdminClientOptions) {
    this.base = adminBaseUrl(options.server);
    try {
      this.ca = options.caFile ? readFileSync(options.caFile) : undefined;
    } catch (error) {
      throw new FlotillaError(
        'TLS_INVALID',
        `cannot read the CA certificate ${options.caFile}: ${(error as Error).message}`,
      );
    }
  }

  /** GET /api/PATH as JSON; refusals and unreachable servers are one-line errors. */
  get<T>(path: string): Promise<T> {
    const url = new URL(`api/${path}`, this.base);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'GET',
          headers: { authorization: `Bearer ${this.options.adminToken}`, accept: 'application/json' },
          ...(this.ca ? { ca: this.ca } : {}),
          timeout: this.options.timeoutMs ?? 10_000,
        },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => {
            let json: unknown;
            try {
              json = JSON.parse(body);
            } catch {
              reject(
                new FlotillaError('MESSAGE_INVALID', `${url.href} answered ${res.statusCode} without JSON`),
              );
              return;
            }
            if (res.statusCode === 200) resolve(json as T);
            else {
              const message = (json as { message?: unknown }).message;
              reject(
                new FlotillaError(
                  res.statusCode === 401
                    ? 'AUTH_FAILED'
                    : res.statusCode === 404
                      ? 'STORAGE_NOT_FOUND'
                      : 'INVALID_ARGUMENT',
                  `${url.href}: ${res.statusCode} ${typeof message === 'string' ? message : ''}`.trim(),
                ),
              );
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer in ${this.options.timeoutMs ?? 10_000} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        const tls = /certificate|self[- ]signed|CERT_/i.test(error.message);
        reject(
          new FlotillaError(
            tls ? 'TLS_INVALID' : 'INVALID_ARGUMENT',
            `cannot reach ${url.origin}: ${error.code ?? error.message}${tls ? ' (pass --ca with the CA from `flotilla certs init`)' : ' (is the server running?)'}`,
          ),
        );
      });
      req.end();
    });
  }
}

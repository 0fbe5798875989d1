/**
 * Issuing a one-time enrolment link, for `flotilla clients add NAME --link` and `FlotillaServer.enrolmentLink`: the
 * client is registered unless it exists, and its code rides in the fragment of the participant page's address
 * (`https://HOST:PORT/join#enrol=<code>`), which a browser never sends in a request.
 */
import { FlotillaError } from '../core/index.js';
import type { AddClientOptions, Storage } from '../storage/index.js';

export interface EnrolmentLinkOptions {
  /** The server as participants reach it: an https:// (or, for a plain-HTTP server, http://) URL; its origin counts. */
  readonly url: string;
  readonly ttlMs: number;
  /** Registration options of a client that does not exist yet. */
  readonly register?: AddClientOptions;
}

export interface IssuedLink {
  readonly client: string;
  /** Whether the client was registered now (false: an existing client got a new link). */
  readonly created: boolean;
  readonly link: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

/** The participant page's address on the server `url` names. */
export function joinPage(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `"${url}" is not a URL; give the server's address, e.g. https://fl.example.org:8443`,
    );
  }
  // http:// only serves a server run with --insecure; browsers allow its crypto on loopback addresses only.
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `"${url}" must start with https:// (the participant page is served over HTTPS)`,
    );
  }
  return new URL('/join', parsed.origin);
}

export async function issueEnrolmentLink(
  storage: Storage,
  name: string,
  options: EnrolmentLinkOptions,
): Promise<IssuedLink> {
  const page = joinPage(options.url);
  const existing = await storage.getClient(name);
  if (!existing) await storage.addClient(name, options.register ?? {});
  const enrolment = await storage.createEnrolment(name, options.ttlMs);
  page.hash = `enrol=${enrolment.code}`;
  return {
    client: name,
    created: !existing,
    link: page.href,
    expiresAt: new Date(enrolment.expiresAt).toISOString(),
  };
}

/**
 * `flotilla clients add|revoke|list` against the server's database. `add` prints the token once; only its salted
 * hash is stored. `add --link` prints a one-time enrolment link for the participant page instead (for a new client
 * or an existing one): whoever opens it first gets the client's new token. A revocation reaches a running server
 * within its revocation check interval (default 1 s).
 */
import { checkClientId } from '../../core/index.js';
import { issueEnrolmentLink, joinPage } from '../../server/enrolment-link.js';
import { clientCertificateFingerprint } from '../../server/tls.js';
import type { Storage } from '../../storage/index.js';
import { SqliteStorage } from '../../storage/sqlite/index.js';
import { z } from 'zod';
import { usageError, type Command } from '../command.js';
import { commandSettings, text } from '../settings/index.js';
import { readServerOptions } from './server.js';

/** Where a command finds the server's database: the file itself, or the server config that names it. */
export const DB_SETTINGS = {
  db: text().optional().meta({ description: "the server's SQLite database" }),
  config: text().optional().meta({ description: "the server's config file (its db is used)" }),
};

const CLIENTS_COMMAND = commandSettings(
  z.strictObject({
    ...DB_SETTINGS,
    cert: text().optional().meta({
      description:
        'add: the client certificate (PEM file, or its SHA-256 fingerprint); required to connect under mutual TLS',
    }),
    link: z.boolean().default(false).meta({
      description:
        "add: print a one-time enrolment link for the participant page instead of the token (also for an existing client: a new link replaces its unused one, and opening it replaces the client's token)",
    }),
    url: text()
      .optional()
      .meta({ description: "add --link: the server's address as participants reach it, https://HOST:PORT" }),
    linkTtl: z.number().gt(0).default(24).meta({
      description: 'add --link: how long the link works',
      unit: 'hours',
    }),
    json: z.boolean().default(false).meta({ description: 'print JSON' }),
  }),
);

export function dbPathFrom(db: string | undefined, config: string | undefined): string {
  if (db !== undefined) return db;
  if (config !== undefined) return readServerOptions(['--config', config]).settings.db;
  throw usageError('give the server database with --db PATH or --config server.yaml');
}

/** `add NAME --link`: the link of a new client, or a new link of an existing one (`--cert` is for new ones). */
async function addLink(
  storage: Storage,
  name: string,
  v: { readonly url?: string; readonly linkTtl: number; readonly cert?: string },
) {
  if (v.url === undefined) {
    throw usageError('--link needs --url https://HOST:PORT (the server as participants reach it)');
  }
  try {
    joinPage(v.url);
  } catch (error) {
    throw usageError(`--url ${(error as Error).message}`);
  }
  if (v.cert !== undefined && (await storage.getClient(name))) {
    throw usageError(`client ${name} already exists; --cert only applies when it is first added`);
  }
  return issueEnrolmentLink(storage, name, {
    url: v.url,
    ttlMs: Math.round(v.linkTtl * 3_600_000),
    ...(v.cert ? { register: { certificateFingerprint: clientCertificateFingerprint(v.cert) } } : {}),
  });
}

export const clientsCommand: Command = {
  name: 'clients',
  summary: 'register, revoke and list clients in the server database',
  help: () =>
    [
      'Usage: flotilla clients add NAME | revoke NAME | list  (--db PATH | --config FILE)',
      '       flotilla clients add NAME --link --url https://HOST:PORT [--link-ttl HOURS]',
      '',
      CLIENTS_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const { line, settings: v } = CLIENTS_COMMAND.read(args);
    const [sub, name, ...extra] = line.positionals;
    if (
      extra.length > 0 ||
      !(sub === 'list' ? name === undefined : (sub === 'add' || sub === 'revoke') && name)
    ) {
      throw usageError('usage: flotilla clients add NAME | revoke NAME | list');
    }
    // Before the database is opened: a name no hello can carry is refused without touching anything.
    if (sub === 'add') checkClientId(name);
    // Only `add` may create the database (clients are registered before the server's first start); reading or
    // revoking in a database that does not exist is a typo in --db.
    const storage = SqliteStorage.open(dbPathFrom(v.db, v.config), { mustExist: sub !== 'add' });
    const print = (value: unknown, text: string) =>
      process.stdout.write(v.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
    try {
      if (sub === 'add' && v.link) {
        const added = await addLink(storage, name!, v);
        print(
          added,
          `${added.created ? 'added' : 'new link for'} client ${name}; its one-time enrolment link (shown once, works until ${added.expiresAt}; whoever opens it first gets the client's token):\n${added.link}`,
        );
      } else if (sub === 'add') {
        if (v.url !== undefined) throw usageError('--url goes with --link');
        const added = await storage.addClient(
          name!,
          v.cert ? { certificateFingerprint: clientCertificateFingerprint(v.cert) } : {},
        );
        print(added, `added client ${name}; its token (shown once, keep it secret):\n${added.token}`);
      } else if (sub === 'revoke') {
        const client = await storage.revokeClient(name!);
        print(client, `revoked client ${name}`);
      } else {
        const clients = await storage.listClients();
        print(
          clients,
          clients
            .map(
              (c) =>
                `${c.name.padEnd(24)} ${c.status.padEnd(8)} last seen ${c.lastSeen ? new Date(c.lastSeen).toISOString() : 'never'}`,
            )
            .join('\n') || 'no clients',
        );
      }
      return 0;
    } finally {
      await storage.close();
    }
  },
};

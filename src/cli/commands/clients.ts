/**
 * `flotilla clients add|revoke|list` against the server's database. `add` prints the token once; only its salted
 * hash is stored. A revocation reaches a running server within its revocation check interval (default 1 s).
 */
import { checkClientId } from '../../core/index.js';
import { clientCertificateFingerprint } from '../../server/tls.js';
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
    json: z.boolean().default(false).meta({ description: 'print JSON' }),
  }),
);

export function dbPathFrom(db: string | undefined, config: string | undefined): string {
  if (db !== undefined) return db;
  if (config !== undefined) return readServerOptions(['--config', config]).settings.db;
  throw usageError('give the server database with --db PATH or --config server.yaml');
}

export const clientsCommand: Command = {
  name: 'clients',
  summary: 'register, revoke and list clients in the server database',
  help: () =>
    [
      'Usage: flotilla clients add NAME | revoke NAME | list  (--db PATH | --config FILE)',
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
      if (sub === 'add') {
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

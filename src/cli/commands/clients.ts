/**
 * `flotilla clients add|revoke|list` against the server's database. `add` prints the token once; only its salted
 * hash is stored. A revocation reaches a running server within its revocation check interval (default 1 s).
 */
import { checkClientId } from '../../core/index.js';
import { clientCertificateFingerprint } from '../../server/tls.js';
import { SqliteStorage } from '../../storage/sqlite/index.js';
import type { Command } from '../command.js';
import { formatOptionHelp, mergeOptions, parseFlags, usageError, type OptionSpec } from '../options.js';
import { readServerOptions } from './server.js';

const OPTIONS: readonly OptionSpec[] = [
  { key: 'db', type: 'string', description: "the server's SQLite database" },
  { key: 'config', type: 'string', description: "the server's config file (its db is used)" },
  {
    key: 'cert',
    type: 'string',
    description:
      'add: the client certificate (PEM file, or its SHA-256 fingerprint); required to connect under mutual TLS',
  },
  { key: 'json', type: 'boolean', default: false, description: 'print JSON' },
];

export function dbPathFrom(db: unknown, config: unknown): string {
  if (typeof db === 'string') return db;
  if (typeof config === 'string') return readServerOptions(['--config', config]).db as string;
  throw usageError('give the server database with --db PATH or --config server.yaml');
}

export const clientsCommand: Command = {
  name: 'clients',
  summary: 'register, revoke and list clients in the server database',
  help: () =>
    [
      'Usage: flotilla clients add NAME | revoke NAME | list  (--db PATH | --config FILE)',
      '',
      formatOptionHelp(OPTIONS),
    ].join('\n'),
  async run(args) {
    const parsed = parseFlags(OPTIONS, args);
    const [sub, name, ...extra] = parsed.positionals;
    const v = mergeOptions(OPTIONS, parsed.values);
    if (
      extra.length > 0 ||
      !(sub === 'list' ? name === undefined : (sub === 'add' || sub === 'revoke') && name)
    ) {
      throw usageError('usage: flotilla clients add NAME | revoke NAME | list');
    }
    // Before the database is opened: a name no hello can carry is refused without touching anything.
    if (sub === 'add') checkClientId(name);
    const storage = SqliteStorage.open(dbPathFrom(v.db, v.config));
    const print = (value: unknown, text: string) =>
      process.stdout.write(v.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
    try {
      if (sub === 'add') {
        const added = await storage.addClient(
          name!,
          v.cert ? { certificateFingerprint: clientCertificateFingerprint(v.cert as string) } : {},
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

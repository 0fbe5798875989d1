/** `flotilla certs init DIR --hosts 127.0.0.1,localhost --clients a,b,c`: a CA, a server cert, client certs. */
import { createCertificates } from '../../server/certs.js';
import type { Command } from '../command.js';
import { formatOptionHelp, mergeOptions, parseFlags, usageError, type OptionSpec } from '../options.js';

const OPTIONS: readonly OptionSpec[] = [
  {
    key: 'hosts',
    type: 'string',
    default: '127.0.0.1,localhost',
    description: 'server names and IPs, comma-separated',
  },
  {
    key: 'clients',
    type: 'string',
    description: 'client certificate names, comma-separated (for mutual TLS)',
  },
  { key: 'days', type: 'integer', default: 825, min: 1, description: 'validity in days' },
  { key: 'json', type: 'boolean', default: false, description: 'print the files and fingerprints as JSON' },
];

const list = (value: unknown) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    : [];

export const certsCommand: Command = {
  name: 'certs',
  summary: 'create a CA, a server certificate and client certificates (ECDSA P-256)',
  help: () =>
    ['Usage: flotilla certs init DIR [--hosts H1,H2] [--clients A,B]', '', formatOptionHelp(OPTIONS)].join(
      '\n',
    ),
  async run(args) {
    const parsed = parseFlags(OPTIONS, args);
    const [sub, dir, ...extra] = parsed.positionals;
    if (sub !== 'init' || !dir || extra.length > 0)
      throw usageError('usage: flotilla certs init DIR [--hosts ...]');
    const v = mergeOptions(OPTIONS, parsed.values);
    const result = await createCertificates(dir, {
      hosts: list(v.hosts),
      clients: list(v.clients),
      days: v.days as number,
    });
    if (v.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else {
      process.stdout.write(`wrote ${result.files.length} files to ${dir}\n`);
      for (const [name, fp] of Object.entries(result.clientFingerprints)) {
        process.stdout.write(`  client ${name}: sha256 ${fp}\n`);
      }
    }
    return 0;
  },
};

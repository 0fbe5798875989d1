/** `flotilla certs init DIR --hosts 127.0.0.1,localhost --clients a,b,c`: a CA, a server cert, client certs. */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FlotillaError } from '../../core/index.js';
import { createCertificates } from '../../server/certs.js';
import { z } from 'zod';
import { usageError, type Command } from '../command.js';
import { commandSettings, count, text } from '../settings/index.js';

const CERTS_COMMAND = commandSettings(
  z.strictObject({
    hosts: text()
      .default('127.0.0.1,localhost')
      .meta({ description: 'server names and IPs, comma-separated' }),
    clients: text()
      .optional()
      .meta({ description: 'client certificate names, comma-separated (for mutual TLS)' }),
    days: count().default(825).meta({ description: 'validity in days' }),
    json: z.boolean().default(false).meta({ description: 'print the files and fingerprints as JSON' }),
    force: z.boolean().default(false).meta({
      description:
        'replace the CA and certificates already in DIR (every certificate it signed stops being trusted)',
    }),
  }),
);

/**
 * A new CA invalidates every certificate the old one signed: clients holding the old ca.crt stop trusting the
 * server, and mutual-TLS clients are locked out. So a folder that already holds a CA is kept unless --force.
 */
function refuseExisting(dir: string): void {
  const existing = ['ca.crt', 'ca.key', 'server.crt', 'server.key'].filter((f) => existsSync(join(dir, f)));
  if (existing.length > 0) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `${dir} already holds ${existing.join(', ')}; a new CA would replace them and every certificate they signed: pass --force to do so`,
    );
  }
}

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
    [
      'Usage: flotilla certs init DIR [--hosts H1,H2] [--clients A,B] [--force]',
      '',
      CERTS_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const { line, settings: v } = CERTS_COMMAND.read(args);
    const [sub, dir, ...extra] = line.positionals;
    if (sub !== 'init' || !dir || extra.length > 0)
      throw usageError('usage: flotilla certs init DIR [--hosts ...]');
    if (existsSync(dir) && !statSync(dir).isDirectory()) {
      throw new FlotillaError('CONFIG_INVALID', `${dir} is a file, not a folder`);
    }
    if (!v.force) refuseExisting(dir);
    const result = await createCertificates(dir, {
      hosts: list(v.hosts),
      clients: list(v.clients),
      days: v.days,
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

/**
 * `flotilla identity keygen --id NAME --out FILE [--roster FILE]`: an Ed25519 identity key for one client, for signed
 * secure aggregation. The private key stays with that client (`flotilla client --identity FILE`); its public key goes
 * into the roster that the federation's operators hand to every client (`--roster FILE`). Clients check each other's
 * keys against their roster, so the server cannot stand in for a client.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { FlotillaError, bytesEqual, fromBase64, fromHex, toBase64, toHex } from '../../core/index.js';
import type { ClientIdentity } from '../../client/index.js';
import { secagg } from '../../privacy/index.js';
import { z } from 'zod';
import { usageError, type Command } from '../command.js';
import { commandSettings, text } from '../settings/index.js';

export const IDENTITY_KEYGEN_SCHEMA = z.strictObject({
  id: text().optional().meta({ description: "the client's registered name" }),
  out: text().optional().meta({ description: 'the private key file to write (created with mode 0600)' }),
  roster: text().optional().meta({
    description: 'roster file (JSON: name -> public key hex) to add the public key to; created if missing',
  }),
  force: z.boolean().default(false).meta({
    description: "replace the roster's key for this id (its old identity key stops being accepted)",
  }),
});
const IDENTITY_KEYGEN_COMMAND = commandSettings(IDENTITY_KEYGEN_SCHEMA);

interface IdentityFile {
  readonly id: string;
  /** PKCS#8, base64. */
  readonly privateKey: string;
}

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FlotillaError('CONFIG_INVALID', `cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new FlotillaError('CONFIG_INVALID', `${what} ${path} is not JSON`);
  }
}

/** Reads a roster: a JSON object of client names to 64-hex-digit Ed25519 public keys. */
export async function readRoster(path: string): Promise<Map<string, Uint8Array>> {
  const raw = await readJson(path, 'roster');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new FlotillaError('CONFIG_INVALID', `roster ${path} must map client names to public keys`);
  }
  const roster = new Map<string, Uint8Array>();
  for (const [id, key] of Object.entries(raw)) {
    if (typeof key !== 'string' || !/^[0-9a-f]{64}$/.test(key)) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `roster ${path}: the key of "${id}" is not 64 lowercase hex digits`,
      );
    }
    roster.set(id, fromHex(key));
  }
  return roster;
}

/** Loads a client's identity file and roster, checking that the roster holds this very key under its name. */
export async function loadIdentity(identityPath: string, rosterPath: string): Promise<ClientIdentity> {
  const file = (await readJson(identityPath, 'identity file')) as Partial<IdentityFile> | null;
  if (typeof file?.id !== 'string' || typeof file.privateKey !== 'string') {
    throw new FlotillaError('CONFIG_INVALID', `identity file ${identityPath} needs "id" and "privateKey"`);
  }
  const pair = await secagg.importEd25519Private(fromBase64(file.privateKey));
  const roster = await readRoster(rosterPath);
  const listed = roster.get(file.id);
  if (!listed || !bytesEqual(listed, pair.publicKey)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `roster ${rosterPath} does not hold the public key of identity "${file.id}" (${toHex(pair.publicKey)})`,
    );
  }
  return { id: file.id, privateKey: pair.privateKey, roster };
}

/**
 * The roster a new key is added to (empty when the file does not exist yet). An id already in it is refused without
 * --force: replacing its key silently would lock out the client holding the old identity key.
 */
async function rosterToExtend(path: string, id: string, force: boolean): Promise<Map<string, Uint8Array>> {
  const roster = await readRoster(path).catch((error: unknown) => {
    if ((error as FlotillaError).message.startsWith('cannot read roster'))
      return new Map<string, Uint8Array>();
    throw error;
  });
  if (roster.has(id) && !force) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `roster ${path} already holds a key for "${id}"; pass --force to replace it (the old identity key stops being accepted)`,
    );
  }
  return roster;
}

export const identityCommand: Command = {
  name: 'identity',
  summary: "signed secure aggregation: create a client's identity key and add it to the roster",
  help: () =>
    [
      'Usage: flotilla identity keygen --id NAME --out FILE [--roster FILE] [--force]',
      '',
      'Writes an Ed25519 identity key for client NAME (keep it with that client: flotilla client --identity FILE)',
      'and adds its public key to the roster every client gets (flotilla client --roster FILE).',
      '',
      'keygen options:',
      IDENTITY_KEYGEN_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const [sub, ...rest] = args;
    if (sub !== 'keygen') throw usageError('identity needs a subcommand: keygen');
    const { line, settings: v } = IDENTITY_KEYGEN_COMMAND.read(rest);
    if (line.positionals.length > 0) throw usageError(`unexpected argument "${line.positionals[0]}"`);
    const { id, out } = v;
    if (id === undefined || out === undefined)
      throw usageError('identity keygen needs --id NAME and --out FILE');
    // The roster is read (and an existing entry refused) before any key is written, so a refusal leaves nothing.
    const roster = v.roster === undefined ? undefined : await rosterToExtend(v.roster, id, v.force);
    const pair = await secagg.generateEd25519();
    const pkcs8 = await secagg.exportEd25519Private(pair.privateKey);
    const file: IdentityFile = { id, privateKey: toBase64(pkcs8) };
    await writeFile(out, `${JSON.stringify(file)}\n`, { mode: 0o600, flag: 'wx' }).catch((error: unknown) => {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      throw usageError(`${out} exists; an identity key is never overwritten`);
    });
    if (v.roster !== undefined && roster) {
      roster.set(file.id, pair.publicKey);
      const entries = Object.fromEntries([...roster].map(([name, key]) => [name, toHex(key)]));
      await writeFile(v.roster, `${JSON.stringify(entries, null, 2)}\n`);
    }
    process.stdout.write(`${file.id} ${toHex(pair.publicKey)}\n`);
    return 0;
  },
};

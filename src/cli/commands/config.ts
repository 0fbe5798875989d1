/**
 * `flotilla config schema [COMMAND]`: prints the published JSON Schema of a config file, generated from the same zod
 * definitions that check config files and flags. The run settings are shared, so a file valid for `simulate` is valid
 * for `server` and `federation` too; `server` adds its own keys (host, port, TLS...). `tabular` is the column schema
 * file of a csv dataset (`--schema`), generated from the spec its loader checks it with.
 */
import type { z } from 'zod';
import { tabularSchemaJsonSchema } from '../../data/index.js';
import { usageError, type Command } from '../command.js';
import { settingsJsonSchema } from '../settings/index.js';
import { RUN_SCHEMA } from '../settings/run-settings.js';
import { SERVER_SCHEMA } from '../settings/server-settings.js';
import { FEDERATION_SCHEMA } from './federation.js';

export const CONFIG_SCHEMAS: Readonly<Record<string, { schema: z.ZodObject; title: string }>> = {
  simulate: { schema: RUN_SCHEMA, title: 'Flotilla run config (simulate, train-central)' },
  server: { schema: SERVER_SCHEMA, title: 'Flotilla server config' },
  federation: { schema: FEDERATION_SCHEMA, title: 'Flotilla federation config' },
};

export const configCommand: Command = {
  name: 'config',
  summary:
    'print the JSON Schema of config files (flotilla config schema [simulate|server|federation|tabular])',
  help: () =>
    [
      'Usage: flotilla config schema [simulate|server|federation|tabular]',
      '',
      'Prints the JSON Schema (draft 2020-12) that config files of the command follow (default simulate). One run',
      'config serves simulate, server and federation alike; the server schema adds the server-only keys. tabular is',
      'the column schema file of a csv dataset (--schema).',
    ].join('\n'),
  async run(args) {
    const [sub, name = 'simulate', ...extra] = args;
    const entry = CONFIG_SCHEMAS[name];
    if (sub !== 'schema' || !(entry || name === 'tabular') || extra.length > 0) {
      throw usageError('usage: flotilla config schema [simulate|server|federation|tabular]');
    }
    const json = entry ? settingsJsonSchema(entry.schema, entry.title) : tabularSchemaJsonSchema();
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  },
};

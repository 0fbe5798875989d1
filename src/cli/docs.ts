/**
 * Markdown reference of a command's settings, generated from its zod schema (`npm run docs` writes them into the
 * README; test/readme.test.ts checks that the README documents every flag).
 */
import type { z } from 'zod';
import { CLIENT_SCHEMA } from './commands/client.js';
import { FEDERATION_OPTIONS_SCHEMA } from './commands/federation.js';
import { HE_KEYGEN_SCHEMA } from './commands/he.js';
import { IDENTITY_KEYGEN_SCHEMA } from './commands/identity.js';
import { NEW_SCHEMA } from './commands/new.js';
import { EPSILON_SCHEMA, NOISE_SCHEMA } from './commands/privacy.js';
import { REPORT_SCHEMA } from './commands/report.js';
import { RUNS_SCHEMA } from './commands/runs.js';
import { STATUS_SCHEMA } from './commands/status.js';
import { fieldsOf, optionsMarkdown } from './settings/index.js';
import { RUN_SCHEMA } from './settings/run-settings.js';
import { SERVER_ONLY_SCHEMA } from './settings/server-settings.js';

/** The option tables the README embeds, by marker name. */
export const README_TABLES: Readonly<Record<string, () => z.ZodObject>> = {
  new: () => NEW_SCHEMA,
  simulate: () => RUN_SCHEMA,
  'privacy-epsilon': () => EPSILON_SCHEMA,
  'privacy-noise': () => NOISE_SCHEMA,
  'he-keygen': () => HE_KEYGEN_SCHEMA,
  'identity-keygen': () => IDENTITY_KEYGEN_SCHEMA,
  federation: () => FEDERATION_OPTIONS_SCHEMA,
  server: () => SERVER_ONLY_SCHEMA,
  client: () => CLIENT_SCHEMA,
  status: () => STATUS_SCHEMA,
  runs: () => RUNS_SCHEMA,
  report: () => REPORT_SCHEMA,
};

/** Replaces the body of every `<!-- options:NAME -->` ... `<!-- /options:NAME -->` region with its table. */
export function renderReadmeTables(readme: string): string {
  return readme.replace(
    /(<!-- options:([\w-]+) -->)[\s\S]*?(<!-- \/options:\2 -->)/g,
    (whole, open: string, name: string, close: string) => {
      const schema = README_TABLES[name];
      return schema ? `${open}\n${optionsMarkdown(fieldsOf(schema()))}\n${close}` : whole;
    },
  );
}

/**
 * Markdown reference of a command's options, generated from its option table (`npm run docs` prints them for the
 * README; test/readme.test.ts checks that the README documents every flag).
 */
import { CLIENT_OPTIONS } from './commands/client.js';
import { FEDERATION_OPTIONS } from './commands/federation.js';
import { HE_KEYGEN_OPTIONS } from './commands/he.js';
import { IDENTITY_KEYGEN_OPTIONS } from './commands/identity.js';
import { EPSILON_OPTIONS, NOISE_OPTIONS } from './commands/privacy.js';
import { RUNS_OPTIONS } from './commands/runs.js';
import { SERVER_OPTIONS } from './commands/server.js';
import { STATUS_OPTIONS } from './commands/status.js';
import { flagName, type OptionSpec } from './options.js';
import { SIMULATE_OPTIONS } from './simulate-options.js';

export function optionsMarkdown(specs: readonly OptionSpec[]): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const rows = specs.map((spec) => {
    const flags = [flagName(spec.key), ...(spec.aliases ?? [])].map((f) => `\`--${f}\``).join(', ');
    const type = spec.type === 'enum' ? (spec.values ?? []).map((v) => `\`${v}\``).join(' \\| ') : spec.type;
    const dflt = spec.default === undefined ? '' : `\`${String(spec.default)}\``;
    return `| \`${spec.key}\` | ${flags} | ${type} | ${escape(dflt)} | ${escape(spec.description)} |`;
  });
  return ['| key | flag | type | default | meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/** The option tables the README embeds, by marker name. */
export const README_TABLES: Readonly<Record<string, () => readonly OptionSpec[]>> = {
  simulate: () => SIMULATE_OPTIONS,
  'privacy-epsilon': () => EPSILON_OPTIONS,
  'privacy-noise': () => NOISE_OPTIONS,
  'he-keygen': () => HE_KEYGEN_OPTIONS,
  'identity-keygen': () => IDENTITY_KEYGEN_OPTIONS,
  federation: () => FEDERATION_OPTIONS,
  server: () => SERVER_OPTIONS,
  client: () => CLIENT_OPTIONS,
  status: () => STATUS_OPTIONS,
  runs: () => RUNS_OPTIONS,
};

/** Replaces the body of every `<!-- options:NAME -->` ... `<!-- /options:NAME -->` region with its table. */
export function renderReadmeTables(readme: string): string {
  return readme.replace(
    /(<!-- options:([\w-]+) -->)[\s\S]*?(<!-- \/options:\2 -->)/g,
    (whole, open: string, name: string, close: string) => {
      const specs = README_TABLES[name];
      return specs ? `${open}\n${optionsMarkdown(specs())}\n${close}` : whole;
    },
  );
}

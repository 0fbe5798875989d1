/**
 * The library's `settings` option: the keys of a config file, as an object or as the path of a YAML/JSON file,
 * validated exactly as the `flotilla` commands validate a config file (same schema, same one-line errors).
 */
import { readServerOptions } from '../cli/commands/server.js';
import { configLayer, readConfigFile, readSettings } from '../cli/settings/index.js';
import { RUN_SCHEMA, type RunSettings } from '../cli/settings/run-settings.js';
import { SERVER_SCHEMA, type ServerSettings } from '../cli/settings/server-settings.js';

/**
 * Config-file keys (camelCase, as in a config file), or the path of a YAML or JSON config file.
 * @example
 * ```ts
 * await simulate({ settings: { rounds: 20, clients: 50, strategy: 'fedprox', mu: 0.01 } });
 * await simulate({ settings: 'examples/hospitals/config.yaml' });
 * ```
 */
export type SettingsInput = Readonly<Record<string, unknown>> | string;

/** The run settings of `flotilla simulate`, from an object or a file. */
export function readRunSettings(input: SettingsInput | undefined): RunSettings {
  const layer = typeof input === 'string' ? readConfigFile(input) : configLayer(input ?? {}, 'settings');
  return readSettings(RUN_SCHEMA, [layer]).settings;
}

/**
 * The settings of `flotilla server`, and which keys were given. A file's relative paths (db, tlsDir, cert, key, ca)
 * are relative to the file, as for `flotilla server --config`.
 */
export function readServerSettings(input: SettingsInput | undefined): {
  readonly settings: ServerSettings;
  readonly given: ReadonlySet<string>;
} {
  if (typeof input === 'string') return readServerOptions(['--config', input]);
  return readSettings(SERVER_SCHEMA, [configLayer(input ?? {}, 'settings')]);
}

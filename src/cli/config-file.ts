/** Reads a YAML or JSON config file and validates it against an option table. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { FlotillaError } from '../core/index.js';
import { validateConfigObject, type OptionSpec, type OptionValues } from './options.js';

export function loadConfigFile(path: string, specs: readonly OptionSpec[]): OptionValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new FlotillaError('CONFIG_INVALID', `cannot read config file ${path}: ${reason}`);
  }
  let parsed: unknown;
  try {
    // YAML 1.2 is a superset of JSON, so one parser reads both formats.
    parsed = parseYaml(text.replace(/^\uFEFF/, ''), { prettyErrors: true });
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    const first = (error as Error).message.split('\n')[0];
    throw new FlotillaError('CONFIG_INVALID', `${path}: not valid YAML or JSON${where}: ${first}`);
  }
  return validateConfigObject(specs, parsed, path);
}

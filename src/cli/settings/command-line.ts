/**
 * Flags with `node:util` parseArgs: `--key value`, `--key=value`, `--flag`, `--no-flag` and `--flag true|false` for
 * booleans, `-h` and `--help`, and `--` after which everything is a positional argument. Each flag's string is converted to its
 * setting's type here; its range is checked with the rest of the settings (read.ts).
 */
import { parseArgs } from 'node:util';
import { FlotillaError } from '../../core/index.js';
import { configError, suggest } from './errors.js';
import type { Field } from './fields.js';

export interface CommandLine {
  readonly positionals: readonly string[];
  /** Settings given as flags, nested like a config file (`secureAggregation: { threshold }`). */
  readonly values: Record<string, unknown>;
  /** Flag each setting key came from, e.g. `secureAggregation.threshold` -> `--secure-aggregation.threshold`. */
  readonly flags: ReadonlyMap<string, string>;
  /** Values of the command's extra string flags that are not settings (e.g. `--config`). */
  readonly extras: Readonly<Record<string, string>>;
  readonly help: boolean;
}

type ParseArgsOptions = Record<string, { type: 'string' | 'boolean'; short?: string }>;

function toValue(field: Field, raw: string | boolean): unknown {
  if (typeof raw === 'boolean' || (field.kind !== 'integer' && field.kind !== 'number')) return raw;
  const number = raw.trim() === '' ? NaN : Number(raw);
  return Number.isFinite(number) ? number : raw; // the settings check names a non-number
}

/** parseArgs' errors, as the one-line CONFIG_INVALID errors of every other bad flag. */
function flagError(error: unknown, known: readonly string[]): FlotillaError {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  const unknown = /Unknown option '(-{1,2}[^']+)'/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const name = unknown.replace(/^-+/, '');
    return configError(`unknown option ${unknown}${suggest(name, known, (s) => `"--${s}"`)}`);
  }
  const missing = /Option '(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && missing) {
    return configError(
      message.includes('argument missing')
        ? `option ${missing} needs a value`
        : `option ${missing} needs a value; to give one starting with "-", write ${missing}=VALUE`,
    );
  }
  return configError(message.split('\n')[0]!);
}

/**
 * parseArgs reads `--attack-scale -5` as a flag without its value followed by a short option: a negative number after
 * a flag that takes a value is that value, so it is joined to it (`--attack-scale=-5`) first.
 */
function joinNegativeValues(argv: readonly string[], options: ParseArgsOptions): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    out.push(arg);
    if (arg === '--') return [...out, ...argv.slice(i + 1)];
    const next = argv[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out[out.length - 1] = `${arg}=${next}`;
      i++;
    }
  }
  return out;
}

const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
]);

/**
 * parseArgs' boolean flags take no value: `--compare false` would be the flag followed by a positional (read as a
 * config file named "false") and `--compare=false` an error. So a boolean flag followed by `true` or `false`, or
 * written `--flag=true|false`, becomes `--flag` or `--no-flag` first.
 */
function joinBooleanValues(argv: readonly string[], options: ParseArgsOptions): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') return [...out, ...argv.slice(i)];
    const [name, inline] = arg.startsWith('--') ? arg.slice(2).split(/=(.*)/s, 2) : [undefined, undefined];
    const next = argv[i + 1];
    const word = inline ?? (next !== undefined && BOOLEAN_WORDS.has(next) ? next : undefined);
    if (
      name === undefined ||
      options[name]?.type !== 'boolean' ||
      word === undefined ||
      !BOOLEAN_WORDS.has(word)
    ) {
      out.push(arg);
      continue;
    }
    out.push(BOOLEAN_WORDS.get(word) ? `--${name}` : `--no-${name}`);
    if (inline === undefined) i++;
  }
  return out;
}

export function parseCommandLine(
  fields: readonly Field[],
  argv: readonly string[],
  extras: readonly string[] = [],
): CommandLine {
  const options: ParseArgsOptions = { help: { type: 'boolean', short: 'h' } };
  const byFlag = new Map<string, Field>();
  for (const field of fields) {
    if (field.kind === 'list') continue; // config file only
    const type = field.kind === 'boolean' || field.kind === 'group' ? 'boolean' : 'string';
    for (const flag of [field.flag, ...field.aliases]) {
      options[flag] = { type };
      byFlag.set(flag, field);
    }
  }
  for (const extra of extras) options[extra] = { type: 'string' };
  let parsed;
  try {
    parsed = parseArgs({
      args: joinNegativeValues(joinBooleanValues(argv, options), options),
      options,
      strict: true,
      allowPositionals: true,
      allowNegative: true,
    });
  } catch (error) {
    throw flagError(error, Object.keys(options));
  }
  const values: Record<string, unknown> = {};
  const flags = new Map<string, string>();
  const extraValues: Record<string, string> = {};
  for (const [flag, raw] of Object.entries(parsed.values)) {
    // No option is `multiple`, so a value is one string or boolean.
    if (raw === undefined || Array.isArray(raw) || flag === 'help') continue;
    if (extras.includes(flag)) {
      extraValues[flag] = String(raw);
      continue;
    }
    const field = byFlag.get(flag)!;
    const value = toValue(field, raw);
    const [top, member] = field.path;
    flags.set(field.key, `--${typeof raw === 'boolean' && !raw ? `no-${flag}` : flag}`);
    const current = values[top!];
    if (member === undefined) {
      // `--group` after `--group.member`: the group is on with that member, not reset to every default.
      if (!(value === true && typeof current === 'object')) values[top!] = value;
    } else {
      values[top!] = { ...(typeof current === 'object' && current !== null ? current : {}), [member]: value };
    }
  }
  return {
    positionals: parsed.positionals,
    values,
    flags,
    extras: extraValues,
    help: parsed.values.help === true,
  };
}

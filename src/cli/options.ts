/**
 * A declarative option table. One table per command drives everything a user sees: validation of config files
 * (unknown keys, wrong types, out-of-range values, each named), the kebab-case flag of every camelCase key, the
 * published JSON Schema, and the option reference in `--help`. Adding a key in one place adds it everywhere.
 */
import { FlotillaError } from '../core/index.js';

export type OptionType = 'string' | 'integer' | 'number' | 'boolean' | 'enum';

export interface OptionSpec {
  /** camelCase config key; its flag is the kebab-case form (`localEpochs` <-> `--local-epochs`). */
  readonly key: string;
  readonly type: OptionType;
  readonly description: string;
  readonly default?: string | number | boolean;
  /** Allowed values of an enum option. */
  readonly values?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  /** Lower bound that the value must exceed (e.g. a learning rate > 0). */
  readonly above?: number;
  /** Extra flag names (without dashes), e.g. `lr` for `learningRate`. */
  readonly aliases?: readonly string[];
}

export type OptionValues = Record<string, string | number | boolean | undefined>;

export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A wrong command line (missing argument, unknown subcommand): printed as one line, exit code 2. */
export function usageError(message: string): FlotillaError {
  return new FlotillaError('INVALID_ARGUMENT', message);
}

function configError(message: string, details: Record<string, unknown> = {}): FlotillaError {
  return new FlotillaError('CONFIG_INVALID', message, details);
}

/** Closest known key by edit distance, for "did you mean" hints. */
function suggest(name: string, candidates: readonly string[]): string {
  let best = '';
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** Checks one value against its spec, converting flag strings; `where` names the source for the error. */
function coerce(spec: OptionSpec, raw: unknown, where: string): string | number | boolean {
  const label = `${where}: "${spec.key}"`;
  switch (spec.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true') return true;
      if (raw === 'false') return false;
      throw configError(`${label} must be true or false, got ${JSON.stringify(raw)}`, { key: spec.key });
    }
    case 'string': {
      if (typeof raw === 'string' && raw.length > 0) return raw;
      throw configError(`${label} must be a non-empty string, got ${JSON.stringify(raw)}`, { key: spec.key });
    }
    case 'enum': {
      if (typeof raw === 'string' && spec.values?.includes(raw)) return raw;
      throw configError(`${label} must be one of ${spec.values?.join(', ')}; got ${JSON.stringify(raw)}`, {
        key: spec.key,
      });
    }
    case 'integer':
    case 'number': {
      const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw configError(`${label} must be a number, got ${JSON.stringify(raw)}`, { key: spec.key });
      }
      if (spec.type === 'integer' && !Number.isInteger(value)) {
        throw configError(`${label} must be an integer, got ${value}`, { key: spec.key });
      }
      if (spec.min !== undefined && value < spec.min) {
        throw configError(`${label} must be >= ${spec.min}, got ${value}`, { key: spec.key });
      }
      if (spec.max !== undefined && value > spec.max) {
        throw configError(`${label} must be <= ${spec.max}, got ${value}`, { key: spec.key });
      }
      if (spec.above !== undefined && value <= spec.above) {
        throw configError(`${label} must be > ${spec.above}, got ${value}`, { key: spec.key });
      }
      return value;
    }
  }
}

/** Validates a parsed config file object: every key known, every value well-typed. */
export function validateConfigObject(
  specs: readonly OptionSpec[],
  raw: unknown,
  source: string,
): OptionValues {
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw configError(`${source}: the config must be a mapping of keys to values`);
  }
  const byKey = new Map(specs.map((s) => [s.key, s]));
  const out: OptionValues = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const spec = byKey.get(key);
    if (!spec) {
      throw configError(`${source}: unknown key "${key}"${suggest(key, [...byKey.keys()])}`, { key });
    }
    if (isGroup(specs, spec) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
      Object.assign(out, groupValues(specs, spec, value as Record<string, unknown>, source));
    } else {
      out[key] = coerce(spec, value, source);
    }
  }
  return out;
}

/**
 * A group is a boolean key with dotted sub-keys (`secureAggregation` and `secureAggregation.threshold`...): in a config
 * file it may be written as a mapping of its sub-keys, which turns it on.
 */
function groupMembers(specs: readonly OptionSpec[], group: OptionSpec): OptionSpec[] {
  return specs.filter((s) => s.key.startsWith(`${group.key}.`));
}

/** Whether a group is on: its own key set true, or any of its members set (on the command line or in a file). */
export function groupEnabled(values: OptionValues, groupKey: string): boolean {
  return (
    values[groupKey] === true ||
    Object.keys(values).some((k) => k.startsWith(`${groupKey}.`) && values[k] !== undefined)
  );
}

function isGroup(specs: readonly OptionSpec[], spec: OptionSpec): boolean {
  return spec.type === 'boolean' && groupMembers(specs, spec).length > 0;
}

function groupValues(
  specs: readonly OptionSpec[],
  group: OptionSpec,
  raw: Record<string, unknown>,
  source: string,
): OptionValues {
  const members = new Map(groupMembers(specs, group).map((s) => [s.key.slice(group.key.length + 1), s]));
  const out: OptionValues = { [group.key]: true };
  for (const [name, value] of Object.entries(raw)) {
    const spec = members.get(name);
    if (!spec) {
      const key = `${group.key}.${name}`;
      throw configError(`${source}: unknown key "${key}"${suggest(name, [...members.keys()])}`, { key });
    }
    out[spec.key] = coerce(spec, value, source);
  }
  return out;
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly values: OptionValues;
}

/**
 * Parses `--flag value`, `--flag=value`, `--flag` (booleans) and `--no-flag`. Flags not in the table are errors
 * (with a suggestion); `extraBooleans` are command switches that are not config keys (e.g. `--help`).
 */
export function parseFlags(
  specs: readonly OptionSpec[],
  argv: readonly string[],
  extraBooleans: readonly string[] = [],
): ParsedArgs {
  const byFlag = new Map<string, OptionSpec>();
  for (const spec of specs) {
    byFlag.set(flagName(spec.key), spec);
    for (const alias of spec.aliases ?? []) byFlag.set(alias, spec);
  }
  const positionals: string[] = [];
  const values: OptionValues = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (extraBooleans.includes(name)) {
      values[name] = true;
      continue;
    }
    const negated = name.startsWith('no-') && byFlag.get(name.slice(3))?.type === 'boolean';
    const spec = byFlag.get(negated ? name.slice(3) : name);
    if (!spec) {
      const known = [...byFlag.keys(), ...extraBooleans];
      throw configError(`unknown option --${name}${suggest(name, known).replace(/"([^"]+)"/, '"--$1"')}`);
    }
    let raw: string | boolean;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (spec.type === 'boolean') raw = !negated;
    else {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw configError(`option --${name} needs a value`);
      }
      raw = next;
      i++;
    }
    values[spec.key] = coerce(spec, raw, `option --${name}`);
  }
  return { positionals, values };
}

/** Defaults, overlaid by the config file, overlaid by flags. */
export function mergeOptions(specs: readonly OptionSpec[], ...layers: OptionValues[]): OptionValues {
  const merged: OptionValues = {};
  for (const spec of specs) if (spec.default !== undefined) merged[spec.key] = spec.default;
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** The JSON Schema (draft 2020-12) of a config file for the given options. */
export function jsonSchema(specs: readonly OptionSpec[], title: string): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const property = (spec: OptionSpec) => {
    const base: Record<string, unknown> = { description: spec.description };
    if (spec.default !== undefined) base.default = spec.default;
    if (spec.type === 'enum') base.enum = spec.values;
    else base.type = spec.type;
    if (spec.min !== undefined) base.minimum = spec.min;
    if (spec.max !== undefined) base.maximum = spec.max;
    if (spec.above !== undefined) base.exclusiveMinimum = spec.above;
    return base;
  };
  for (const spec of specs) {
    if (spec.key.includes('.')) continue; // a group member: described inside its group
    if (!isGroup(specs, spec)) {
      properties[spec.key] = property(spec);
      continue;
    }
    const members: Record<string, unknown> = {};
    for (const member of groupMembers(specs, spec)) {
      members[member.key.slice(spec.key.length + 1)] = property(member);
    }
    properties[spec.key] = {
      description: spec.description,
      oneOf: [{ type: 'boolean' }, { type: 'object', additionalProperties: false, properties: members }],
    };
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title,
    type: 'object',
    additionalProperties: false,
    properties,
  };
}

/** The option reference printed by `--help`. */
export function formatOptionHelp(specs: readonly OptionSpec[]): string {
  const rows = specs.map((spec) => {
    const flags = [flagName(spec.key), ...(spec.aliases ?? [])].map((f) => `--${f}`).join(', ');
    const value =
      spec.type === 'boolean'
        ? ''
        : spec.type === 'enum'
          ? ` <${spec.values?.join('|')}>`
          : ` <${spec.type}>`;
    const dflt = spec.default !== undefined ? ` (default ${String(spec.default)})` : '';
    return [`  ${flags}${value}`, `      ${spec.description}${dflt}`];
  });
  return rows.flat().join('\n');
}

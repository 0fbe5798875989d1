/**
 * Reads a command's settings: defaults, overlaid by a config file (YAML or JSON), overlaid by flags; one zod check of
 * the merged result, whose first issue becomes a one-line CONFIG_INVALID error naming where the key was set.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { FlotillaError } from '../../core/index.js';
import { configError, issueError } from './errors.js';
import { fieldsOf } from './fields.js';

/** Settings from one place: a config file or the command line. */
export interface Layer {
  readonly values: Readonly<Record<string, unknown>>;
  /** Names the place a key came from, for errors: the file path, or `option --flag`. */
  source(key: string): string;
}

/** A config file's mapping, unchecked (readSettings checks it). */
export function readConfigFile(path: string): Layer {
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
    throw configError(`${path}: not valid YAML or JSON${where}: ${first}`);
  }
  // An empty file (or only comments) is most likely the wrong file or one not saved yet; running every default in
  // its name (a full MNIST simulation) would hide that.
  if (parsed === null || parsed === undefined) {
    throw configError(
      `${path} is empty; write its settings in it, or leave the file out to run the defaults`,
    );
  }
  return configLayer(parsed, path);
}

/** A parsed config object as a layer; anything but a mapping is refused. */
export function configLayer(raw: unknown, source: string): Layer {
  if (raw === null || raw === undefined) return { values: {}, source: () => source };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw configError(`${source}: the config must be a mapping of keys to values`);
  }
  return { values: raw as Record<string, unknown>, source: () => source };
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Settings after every layer, and which top-level keys some layer set (the rest are defaults). */
export interface ReadSettings<S extends z.ZodObject> {
  readonly settings: z.output<S>;
  readonly given: ReadonlySet<string>;
}

export function readSettings<S extends z.ZodObject>(schema: S, layers: readonly Layer[]): ReadSettings<S> {
  const merged: Record<string, unknown> = {};
  const sources = new Map<string, Layer>();
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer.values)) {
      if (value === undefined) continue;
      const before = merged[key];
      // A group's members merge across layers: a file's mapping plus a flag's member.
      merged[key] =
        isMapping(value) && (isMapping(before) || before === true)
          ? { ...(isMapping(before) ? before : {}), ...value }
          : value;
      sources.set(key, layer);
      if (isMapping(value)) for (const member of Object.keys(value)) sources.set(`${key}.${member}`, layer);
    }
  }
  const result = schema.safeParse(merged);
  if (!result.success) {
    const sourceOf = (key: string) =>
      (sources.get(key) ?? sources.get(key.split('.')[0]!))?.source(key) ?? 'settings';
    throw issueError(result.error.issues[0]!, merged, fieldsOf(schema), sourceOf);
  }
  return { settings: result.data, given: new Set(Object.keys(merged)) };
}

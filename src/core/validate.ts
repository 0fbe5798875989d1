/**
 * A tiny schema toolkit for untrusted input (network messages, config files): a schema checks an `unknown` value
 * and returns it typed, or fails naming the key path, what was expected and what was found, e.g.
 * `config.secureAggregation.threshold: expected an integer >= 2, got 1.5`.
 *
 * Object schemas are strict: an unknown key is an error that names the key, because a misspelt config key that is
 * silently ignored is worse than a refusal. Outputs are fresh values holding only the declared keys, so callers never
 * see extra properties of the input.
 *
 * Every builder also describes itself as JSON Schema (`json`), so a file format checked here can be published
 * (`jsonSchemaOf`) from the very definition that checks it.
 */
import { FlotillaError, type ErrorCode } from './errors.js';

/** A check that turns an `unknown` into a `T` or throws a SchemaIssue. Build schemas with the functions below. */
export interface Schema<T> {
  /** What the schema accepts, in words ("an integer >= 1"), used in error messages. */
  readonly expected: string;
  check(value: unknown, path: string): T;
  /** What the schema accepts as JSON Schema; absent for hand-written checks it cannot describe. */
  readonly json?: JsonSchema;
}

/** A JSON Schema (draft 2020-12) node. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** Marks an object key that may be absent; see `optional`. */
export interface OptionalSchema<T> extends Schema<T | undefined> {
  readonly isOptional: true;
}

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** Thrown by schemas and turned into a FlotillaError by `parse`; the path is kept separate so it can be reported. */
class SchemaIssue extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/**
 * Checks `value` against `schema` and returns it typed. Throws FlotillaError(`code`) whose message starts with the
 * key path of the first problem (rooted at `path`) and whose details hold `{ path }`.
 */
export function parse<T>(
  schema: Schema<T>,
  value: unknown,
  path = 'value',
  code: ErrorCode = 'MESSAGE_INVALID',
): T {
  try {
    return schema.check(value, path);
  } catch (error) {
    if (error instanceof SchemaIssue) throw new FlotillaError(code, error.message, { path: error.path });
    throw error;
  }
}

/** A short description of a value for error messages; long strings are cut so a hostile input cannot flood logs. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fail(path: string, expected: string, value: unknown): never {
  throw new SchemaIssue(path, `expected ${expected}, got ${describeValue(value)}`);
}

/** `a.b`, `a["odd key"]`, or just the key at the root (empty path). */
function keyPath(path: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return path === '' ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

export interface StrOptions {
  readonly minLength?: number;
  readonly maxLength?: number;
  /** The whole string must match; `patternName` describes it in errors ("printable ASCII"). */
  readonly pattern?: RegExp;
  readonly patternName?: string;
  /** A credential: errors give its length, never its characters (they end up in logs). */
  readonly secret?: boolean;
}

export function str(options: StrOptions = {}): Schema<string> {
  const { minLength = 0, maxLength = Infinity, pattern, patternName, secret = false } = options;
  const parts: string[] = [];
  if (minLength > 0 && maxLength < Infinity) parts.push(`of ${minLength} to ${maxLength} characters`);
  else if (minLength > 0) parts.push(`of at least ${minLength} characters`);
  else if (maxLength < Infinity) parts.push(`of at most ${maxLength} characters`);
  if (pattern) parts.push(`matching ${patternName ?? String(pattern)}`);
  const expected = ['a string', ...parts].join(' ');
  // A pattern with flags (say /i) has no JSON Schema equivalent, so such a schema does not claim one.
  const json =
    pattern && pattern.flags !== ''
      ? undefined
      : {
          type: 'string',
          ...(minLength > 0 ? { minLength } : {}),
          ...(maxLength < Infinity ? { maxLength } : {}),
          ...(pattern ? { pattern: pattern.source } : {}),
        };
  return {
    expected,
    json,
    check(value, path) {
      if (typeof value !== 'string') fail(path, expected, value);
      if (value.length < minLength || value.length > maxLength || (pattern && !pattern.test(value))) {
        if (secret) throw new SchemaIssue(path, `expected ${expected}, got ${value.length} characters`);
        fail(path, expected, value);
      }
      return value;
    },
  };
}

export interface NumOptions {
  /** Inclusive lower bound. */
  readonly min?: number;
  /** Inclusive upper bound. */
  readonly max?: number;
  /** Exclusive lower bound. */
  readonly above?: number;
  /** Exclusive upper bound. */
  readonly below?: number;
  readonly integer?: boolean;
}

/** A finite number (NaN and infinities are always rejected), optionally an integer within bounds. */
export function num(options: NumOptions = {}): Schema<number> {
  const { min, max, above, below, integer = false } = options;
  const low = min !== undefined ? `[${min}` : above !== undefined ? `(${above}` : undefined;
  const high = max !== undefined ? `${max}]` : below !== undefined ? `${below})` : undefined;
  let bounds = '';
  if (low && high) bounds = ` in ${low}, ${high}`;
  else if (min !== undefined) bounds = ` >= ${min}`;
  else if (above !== undefined) bounds = ` > ${above}`;
  else if (max !== undefined) bounds = ` <= ${max}`;
  else if (below !== undefined) bounds = ` < ${below}`;
  const expected = `${integer ? 'an integer' : 'a finite number'}${bounds}`;
  const json = {
    type: integer ? 'integer' : 'number',
    ...(min !== undefined ? { minimum: min } : {}),
    ...(max !== undefined ? { maximum: max } : {}),
    ...(above !== undefined ? { exclusiveMinimum: above } : {}),
    ...(below !== undefined ? { exclusiveMaximum: below } : {}),
  };
  return {
    expected,
    json,
    check(value, path) {
      if (typeof value !== 'number' || !Number.isFinite(value)) fail(path, expected, value);
      if (integer && !Number.isSafeInteger(value)) fail(path, expected, value);
      if (min !== undefined && value < min) fail(path, expected, value);
      if (max !== undefined && value > max) fail(path, expected, value);
      if (above !== undefined && value <= above) fail(path, expected, value);
      if (below !== undefined && value >= below) fail(path, expected, value);
      return value;
    },
  };
}

/** Shorthand for `num({ ...options, integer: true })`. */
export function int(options: Omit<NumOptions, 'integer'> = {}): Schema<number> {
  return num({ ...options, integer: true });
}

export function bool(): Schema<boolean> {
  const expected = 'true or false';
  return {
    expected,
    json: { type: 'boolean' },
    check(value, path) {
      if (typeof value !== 'boolean') fail(path, expected, value);
      return value;
    },
  };
}

type Primitive = string | number | boolean | null;

/** Exactly one of the given values (compared with ===). */
export function oneOf<const T extends readonly Primitive[]>(values: T): Schema<T[number]> {
  const expected =
    values.length === 1
      ? JSON.stringify(values[0])
      : `one of ${values.map((v) => JSON.stringify(v)).join(', ')}`;
  return {
    expected,
    json: values.length === 1 ? { const: values[0] } : { enum: [...values] },
    check(value, path) {
      if (!values.includes(value as Primitive)) fail(path, expected, value);
      return value as T[number];
    },
  };
}

/** `literal('a', 'b')` is `oneOf(['a', 'b'])`. */
export function literal<const T extends readonly Primitive[]>(...values: T): Schema<T[number]> {
  return oneOf(values);
}

/** Any value, unchecked: for a part of a document that a second, more specific schema checks later. */
export function anything(): Schema<unknown> {
  return { expected: 'anything', json: {}, check: (value) => value };
}

export interface ArrOptions {
  readonly minLength?: number;
  readonly maxLength?: number;
}

/** An array whose items all match `item`; the length is checked before any item so huge arrays fail fast. */
export function arr<T>(item: Schema<T>, options: ArrOptions = {}): Schema<T[]> {
  const { minLength = 0, maxLength = Infinity } = options;
  const range =
    maxLength < Infinity
      ? ` of ${minLength} to ${maxLength} items`
      : minLength > 0
        ? ` of at least ${minLength} items`
        : '';
  const expected = `an array${range} of ${item.expected}`;
  return {
    expected,
    json: item.json && {
      type: 'array',
      items: item.json,
      ...(minLength > 0 ? { minItems: minLength } : {}),
      ...(maxLength < Infinity ? { maxItems: maxLength } : {}),
    },
    check(value, path) {
      if (!Array.isArray(value)) fail(path, expected, value);
      if (value.length < minLength || value.length > maxLength) fail(path, expected, value);
      const out = new Array<T>(value.length);
      for (let i = 0; i < value.length; i++) out[i] = item.check(value[i], `${path}[${i}]`);
      return out;
    },
  };
}

/** Lets an object key be absent (or undefined); the key is then absent from the output too. */
export function optional<T>(schema: Schema<T>): OptionalSchema<T> {
  return {
    isOptional: true,
    expected: `${schema.expected} (optional)`,
    json: schema.json,
    check: (value, path) => (value === undefined ? undefined : schema.check(value, path)),
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

type Shape = Readonly<Record<string, Schema<unknown>>>;
type OptionalKeys<S extends Shape> = {
  [K in keyof S]: S[K] extends OptionalSchema<unknown> ? K : never;
}[keyof S];
type RequiredKeys<S extends Shape> = Exclude<keyof S, OptionalKeys<S>>;
type Flatten<T> = { [K in keyof T]: T[K] };
export type ObjOutput<S extends Shape> = Flatten<
  { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Exclude<Infer<S[K]>, undefined> }
>;

export interface ObjOptions {
  /** Accept (and drop) keys not in the shape instead of reporting them. Default false. */
  readonly allowUnknownKeys?: boolean;
}

/**
 * An object with the given keys. Required keys must be present; keys wrapped in `optional` may be absent. Unknown
 * keys are an error naming the key unless `allowUnknownKeys` is set.
 */
export function obj<S extends Shape>(shape: S, options: ObjOptions = {}): Schema<ObjOutput<S>> {
  const keys = Object.keys(shape);
  const expected = 'an object';
  return {
    expected,
    json: objectJson(shape, options),
    check(value, path) {
      if (!isPlainObject(value)) fail(path, expected, value);
      if (!options.allowUnknownKeys) {
        for (const key of Object.keys(value)) {
          if (!Object.hasOwn(shape, key)) {
            throw new SchemaIssue(
              keyPath(path, key),
              `unknown key (expected one of: ${keys.join(', ') || 'no keys'})`,
            );
          }
        }
      }
      const out: Record<string, unknown> = {};
      for (const key of keys) {
        const schema = shape[key]!;
        const present = Object.hasOwn(value, key);
        if (!present && !('isOptional' in schema)) {
          throw new SchemaIssue(keyPath(path, key), `missing (expected ${schema.expected})`);
        }
        const checked = schema.check(present ? value[key] : undefined, keyPath(path, key));
        if (checked !== undefined) out[key] = checked;
      }
      return out as ObjOutput<S>;
    },
  };
}

/** The JSON Schema of an object shape, or undefined when one of its values has none. */
function objectJson(shape: Shape, options: ObjOptions): JsonSchema | undefined {
  const properties: Record<string, JsonSchema> = {};
  for (const [key, schema] of Object.entries(shape)) {
    if (!schema.json) return undefined;
    properties[key] = schema.json;
  }
  const required = Object.keys(shape).filter((key) => !('isOptional' in shape[key]!));
  return {
    type: 'object',
    properties,
    ...(required.length > 0 ? { required } : {}),
    ...(options.allowUnknownKeys ? {} : { additionalProperties: false }),
  };
}

function parseKey(schema: Schema<string>, key: string, at: string): void {
  try {
    schema.check(key, at);
  } catch (error) {
    if (error instanceof SchemaIssue) throw new SchemaIssue(at, `invalid key: expected ${schema.expected}`);
    throw error;
  }
}

export interface RecordOptions {
  /** Schema for the keys; default any string. */
  readonly key?: Schema<string>;
  readonly maxKeys?: number;
}

/** An object used as a map from string keys to values of one schema (e.g. metric name -> value). */
export function record<T>(value: Schema<T>, options: RecordOptions = {}): Schema<Record<string, T>> {
  const { key: keySchema, maxKeys = Infinity } = options;
  const expected = `an object${maxKeys < Infinity ? ` of at most ${maxKeys} keys` : ''} mapping to ${value.expected}`;
  const described = value.json && (keySchema === undefined || keySchema.json);
  return {
    expected,
    json: described
      ? {
          type: 'object',
          additionalProperties: value.json,
          ...(keySchema ? { propertyNames: keySchema.json } : {}),
          ...(maxKeys < Infinity ? { maxProperties: maxKeys } : {}),
        }
      : undefined,
    check(input, path) {
      if (!isPlainObject(input)) fail(path, expected, input);
      const keys = Object.keys(input);
      if (keys.length > maxKeys) {
        throw new SchemaIssue(path, `expected ${expected}, got ${keys.length} keys`);
      }
      // fromEntries defines own properties, so a key like "__proto__" stays an ordinary key.
      return Object.fromEntries(
        keys.map((k) => {
          const at = keyPath(path, k);
          if (keySchema) parseKey(keySchema, k, at);
          return [k, value.check(input[k], at)];
        }),
      );
    },
  };
}

/**
 * The same schema with a human description in its JSON Schema (what a published format says about a key); the
 * check is unchanged, and an optional schema stays optional.
 */
export function described<S extends Schema<unknown>>(schema: S, description: string): S {
  return { ...schema, json: schema.json && { ...schema.json, description } };
}

/**
 * Objects told apart by one key (`kind`, say), each with its own shape: a value is checked against the variant its
 * tag names, so errors speak of that variant's keys (`impute` is unknown to a categorical column).
 */
export function tagged<const K extends string, V extends Readonly<Record<string, Schema<unknown>>>>(
  tag: K,
  variants: V,
): Schema<Infer<V[keyof V]>> {
  const tags = Object.keys(variants);
  const tagSchema = oneOf(tags);
  const expected = `an object whose "${tag}" is ${tagSchema.expected}`;
  const jsons = Object.values(variants).map((variant) => variant.json);
  return {
    expected,
    json: jsons.every((json) => json !== undefined) ? { oneOf: jsons } : undefined,
    check(value, path) {
      if (!isPlainObject(value)) fail(path, expected, value);
      const name = tagSchema.check(value[tag], keyPath(path, tag));
      return variants[name]!.check(value, path) as Infer<V[keyof V]>;
    },
  };
}

/** The JSON Schema (draft 2020-12) of a file format defined with these builders, with a title. */
export function jsonSchemaOf(schema: Schema<unknown>, title: string): JsonSchema {
  if (!schema.json) {
    throw new FlotillaError('INVALID_ARGUMENT', `${title}: a part of its schema has no JSON Schema form`);
  }
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', title, ...schema.json };
}

/**
 * Declared, validated strategy parameters. Each strategy lists its parameters once (name, type, default, meaning,
 * allowed range); the same list validates a config file's values, fills in defaults and is printed by the CLI and
 * README. A wrong key or value is the user's mistake, so it raises CONFIG_INVALID naming the strategy and the key.
 */
import { FlotillaError } from '../core/index.js';

export type ParamType = 'number' | 'integer' | 'boolean';

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  /** Omitted with no `defaultText`: the parameter is required. */
  readonly default?: number | boolean;
  /** For optional parameters whose default is derived from others (e.g. "tau^2"). */
  readonly defaultText?: string;
  readonly description: string;
  readonly min?: number;
  readonly max?: number;
  /** Whether `min` / `max` themselves are excluded. */
  readonly minExclusive?: boolean;
  readonly maxExclusive?: boolean;
}

/** Parameter values after validation and defaults; accessors re-check the type the schema promised. */
export class ResolvedParams {
  constructor(
    private readonly strategy: string,
    private readonly values: ReadonlyMap<string, number | boolean>,
  ) {}

  number(name: string): number {
    const value = this.values.get(name);
    if (typeof value !== 'number') throw this.missing(name);
    return value;
  }

  optionalNumber(name: string): number | undefined {
    const value = this.values.get(name);
    return typeof value === 'number' ? value : undefined;
  }

  boolean(name: string): boolean {
    const value = this.values.get(name);
    if (typeof value !== 'boolean') throw this.missing(name);
    return value;
  }

  private missing(name: string): FlotillaError {
    return new FlotillaError(
      'CONFIG_INVALID',
      `strategy "${this.strategy}": parameter "${name}" is not set`,
      {
        key: name,
      },
    );
  }
}

function show(value: unknown): string {
  return typeof value === 'number' ? String(value) : JSON.stringify(value);
}

function describeRange(spec: ParamSpec): string {
  const kind = spec.type === 'integer' ? 'an integer' : 'a number';
  const lower = spec.min === undefined ? undefined : `${spec.minExclusive ? '>' : '>='} ${spec.min}`;
  const upper = spec.max === undefined ? undefined : `${spec.maxExclusive ? '<' : '<='} ${spec.max}`;
  const bounds = [lower, upper].filter((b) => b !== undefined).join(' and ');
  return bounds ? `${kind} ${bounds}` : kind;
}

function inRange(spec: ParamSpec, value: number): boolean {
  if (spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min)) return false;
  if (spec.max !== undefined && (spec.maxExclusive ? value >= spec.max : value > spec.max)) return false;
  return true;
}

/**
 * Validates `given` against `schema`: unknown keys, wrong types, out-of-range and missing required values throw
 * CONFIG_INVALID with `details.key`. Keys whose value is `undefined` count as not given (so typed option objects
 * with optional fields can be passed straight through).
 */
export function resolveParams(strategy: string, schema: readonly ParamSpec[], given: object): ResolvedParams {
  const known = new Map(schema.map((spec) => [spec.name, spec]));
  const fail = (key: string, message: string): never => {
    throw new FlotillaError('CONFIG_INVALID', `strategy "${strategy}": ${message}`, { key });
  };
  for (const key of Object.keys(given)) {
    if (!known.has(key)) {
      const allowed = schema.map((s) => s.name).join(', ') || 'none';
      fail(key, `unknown parameter "${key}" (allowed: ${allowed})`);
    }
  }
  const values = new Map<string, number | boolean>();
  const entries = given as Record<string, unknown>;
  for (const spec of schema) {
    const raw = entries[spec.name];
    if (raw === undefined) {
      if (spec.default !== undefined) values.set(spec.name, spec.default);
      else if (spec.defaultText === undefined) fail(spec.name, `parameter "${spec.name}" is required`);
      continue;
    }
    if (spec.type === 'boolean') {
      if (typeof raw !== 'boolean')
        fail(spec.name, `parameter "${spec.name}" must be true or false, got ${show(raw)}`);
      values.set(spec.name, raw as boolean);
      continue;
    }
    const ok =
      typeof raw === 'number' &&
      Number.isFinite(raw) &&
      (spec.type === 'number' || Number.isSafeInteger(raw)) &&
      inRange(spec, raw);
    if (!ok) fail(spec.name, `parameter "${spec.name}" must be ${describeRange(spec)}, got ${show(raw)}`);
    values.set(spec.name, raw as number);
  }
  return new ResolvedParams(strategy, values);
}

import { describe, expect, it } from 'vitest';
import { FlotillaError } from './errors.js';
import {
  anything,
  arr,
  bool,
  described,
  describeValue,
  int,
  literal,
  num,
  obj,
  oneOf,
  optional,
  parse,
  record,
  str,
  tagged,
  jsonSchemaOf,
  type Infer,
  type Schema,
} from './validate.js';

/** The FlotillaError a call throws (fails the test when it does not throw one). */
function errorOf(fn: () => unknown): FlotillaError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FlotillaError) return error;
    throw error;
  }
  throw new Error('expected a FlotillaError, nothing was thrown');
}

describe('validate', () => {
  const config = obj({
    name: str({ minLength: 1 }),
    secureAggregation: obj({ threshold: int({ min: 2 }), enabled: bool() }),
    optimizer: literal('sgd', 'adam'),
    momentum: optional(num({ min: 0, below: 1 })),
    tags: arr(str(), { maxLength: 2 }),
  });

  it('returns the typed value, dropping absent optional keys', () => {
    const value: Infer<typeof config> = parse(
      config,
      { name: 'x', secureAggregation: { threshold: 3, enabled: true }, optimizer: 'adam', tags: ['a'] },
      'config',
    );
    expect(value).toEqual({
      name: 'x',
      secureAggregation: { threshold: 3, enabled: true },
      optimizer: 'adam',
      tags: ['a'],
    });
    expect('momentum' in value).toBe(false);
  });

  it('names the key path, the expectation and the value found', () => {
    const e = errorOf(() =>
      parse(
        config,
        { name: 'x', secureAggregation: { threshold: 1.5, enabled: true }, optimizer: 'sgd', tags: [] },
        'config',
      ),
    );
    expect(e.code).toBe('MESSAGE_INVALID');
    expect(e.message).toBe('config.secureAggregation.threshold: expected an integer >= 2, got 1.5');
    expect(e.details).toEqual({ path: 'config.secureAggregation.threshold' });
  });

  it('uses the code given by the caller', () => {
    expect(errorOf(() => parse(int(), 'x', 'n', 'CONFIG_INVALID')).code).toBe('CONFIG_INVALID');
  });

  it('reports unknown keys by name (strict objects) unless allowed', () => {
    const point = obj({ x: num() });
    expect(errorOf(() => parse(point, { x: 1, y: 2 }, 'p')).message).toBe(
      'p.y: unknown key (expected one of: x)',
    );
    expect(parse(obj({ x: num() }, { allowUnknownKeys: true }), { x: 1, y: 2 })).toEqual({ x: 1 });
  });

  it('reports missing keys and array items by position', () => {
    expect(errorOf(() => parse(obj({ x: num() }), {}, 'p')).message).toBe(
      'p.x: missing (expected a finite number)',
    );
    expect(errorOf(() => parse(arr(int({ min: 0 })), [1, -2], 'shape')).message).toBe(
      'shape[1]: expected an integer >= 0, got -2',
    );
    expect(errorOf(() => parse(arr(int(), { maxLength: 2 }), [1, 2, 3], 'a')).message).toBe(
      'a: expected an array of 0 to 2 items of an integer, got an array of length 3',
    );
  });

  it('rejects non-finite numbers and describes interval bounds', () => {
    expect(errorOf(() => parse(num(), NaN, 'lr')).message).toBe('lr: expected a finite number, got NaN');
    expect(errorOf(() => parse(num(), Infinity, 'lr')).message).toBe(
      'lr: expected a finite number, got Infinity',
    );
    expect(errorOf(() => parse(num({ min: 0, below: 1 }), 1, 'm')).message).toBe(
      'm: expected a finite number in [0, 1), got 1',
    );
    expect(errorOf(() => parse(num({ above: 0 }), 0, 'lr')).message).toBe(
      'lr: expected a finite number > 0, got 0',
    );
    expect(parse(num({ min: 0, below: 1 }), 0)).toBe(0);
    // 2^53 is an integer but not a safe one: it cannot be told apart from 2^53 + 1.
    expect(() => parse(int(), 2 ** 53)).toThrow(FlotillaError);
  });

  it('checks strings, literals and booleans', () => {
    expect(errorOf(() => parse(str({ maxLength: 3 }), 'abcd', 's')).message).toBe(
      's: expected a string of at most 3 characters, got "abcd"',
    );
    expect(errorOf(() => parse(str({ pattern: /^[a-z]+$/, patternName: 'a-z' }), 'A', 's')).message).toBe(
      's: expected a string matching a-z, got "A"',
    );
    expect(errorOf(() => parse(oneOf(['sgd', 'adam']), 'rmsprop', 'o')).message).toBe(
      'o: expected one of "sgd", "adam", got "rmsprop"',
    );
    expect(errorOf(() => parse(bool(), 'true', 'b')).message).toBe('b: expected true or false, got "true"');
    expect(parse(anything(), { any: 1 })).toEqual({ any: 1 });
  });

  it('checks records, their keys and their size, keeping "__proto__" as a plain key', () => {
    const metrics = record(num(), { key: str({ minLength: 1, maxLength: 12 }), maxKeys: 2 });
    const parsed = parse(metrics, JSON.parse('{"__proto__": 1, "loss": 0.5}'), 'metrics');
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__', 'loss']);
    expect(errorOf(() => parse(metrics, { a: 1, b: 2, c: 3 }, 'metrics')).message).toBe(
      'metrics: expected an object of at most 2 keys mapping to a finite number, got 3 keys',
    );
    expect(errorOf(() => parse(metrics, { 'a very long key': 1 }, 'metrics')).message).toBe(
      'metrics["a very long key"]: invalid key: expected a string of 1 to 12 characters',
    );
    expect(errorOf(() => parse(metrics, { acc: null }, 'metrics')).message).toBe(
      'metrics.acc: expected a finite number, got null',
    );
    expect(errorOf(() => parse(metrics, [], 'metrics')).message).toContain('got an array of length 0');
  });

  it('cuts long strings in messages', () => {
    expect(describeValue('x'.repeat(100))).toBe(`"${'x'.repeat(40)}..."`);
    expect(describeValue(undefined)).toBe('nothing');
    expect(describeValue({})).toBe('an object');
  });
});

describe('JSON Schema of a schema', () => {
  it('says what each builder checks', () => {
    const schema = obj({
      name: described(str({ minLength: 1, maxLength: 8, pattern: /^[a-z]+$/ }), 'a lower-case name'),
      count: optional(int({ min: 1, below: 10 })),
      share: num({ above: 0, max: 1 }),
      on: bool(),
      mode: oneOf(['a', 'b'] as const),
      tags: arr(literal('x'), { minLength: 1, maxLength: 3 }),
      extra: record(anything(), { key: str({ minLength: 1 }), maxKeys: 4 }),
    });
    expect(jsonSchemaOf(schema, 'test')).toEqual({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'test',
      type: 'object',
      properties: {
        name: {
          type: 'string',
          minLength: 1,
          maxLength: 8,
          pattern: '^[a-z]+$',
          description: 'a lower-case name',
        },
        count: { type: 'integer', minimum: 1, exclusiveMaximum: 10 },
        share: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
        on: { type: 'boolean' },
        mode: { enum: ['a', 'b'] },
        tags: { type: 'array', items: { const: 'x' }, minItems: 1, maxItems: 3 },
        extra: {
          type: 'object',
          additionalProperties: {},
          propertyNames: { type: 'string', minLength: 1 },
          maxProperties: 4,
        },
      },
      required: ['name', 'share', 'on', 'mode', 'tags', 'extra'],
      additionalProperties: false,
    });
  });

  it('refuses to publish a schema with a check it cannot describe', () => {
    const custom: Schema<string> = { expected: 'a custom value', check: (value) => String(value) };
    expect(errorOf(() => jsonSchemaOf(obj({ a: custom }), 'test')).code).toBe('INVALID_ARGUMENT');
    expect(errorOf(() => jsonSchemaOf(str({ pattern: /^a$/i }), 'test')).message).toMatch(/no JSON Schema/);
  });

  it('checks a tagged object against the variant its tag names', () => {
    const shape = tagged('kind', {
      circle: obj({ kind: literal('circle'), r: num() }),
      square: obj({ kind: literal('square'), side: num() }),
    });
    expect(parse(shape, { kind: 'square', side: 2 }, 'shape')).toEqual({ kind: 'square', side: 2 });
    expect(errorOf(() => parse(shape, { kind: 'circle', side: 2 }, 'shape')).message).toBe(
      'shape.side: unknown key (expected one of: kind, r)',
    );
    expect(errorOf(() => parse(shape, { kind: 'hexagon' }, 'shape')).message).toBe(
      'shape.kind: expected one of "circle", "square", got "hexagon"',
    );
    expect(errorOf(() => parse(shape, 3, 'shape')).message).toMatch(
      /^shape: expected an object whose "kind"/,
    );
    expect(shape.json).toEqual({
      oneOf: [expect.objectContaining({ required: ['kind', 'r'] }), expect.anything()],
    });
  });
});

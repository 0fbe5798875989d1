import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import {
  flagName,
  jsonSchema,
  mergeOptions,
  parseFlags,
  validateConfigObject,
  type OptionSpec,
} from './options.js';

const specs: OptionSpec[] = [
  { key: 'localEpochs', type: 'number', above: 0, default: 1, description: 'epochs' },
  { key: 'clients', type: 'integer', min: 1, default: 10, description: 'clients' },
  { key: 'model', type: 'enum', values: ['mlp', 'cnn'], default: 'mlp', description: 'model' },
  { key: 'learningRate', type: 'number', above: 0, aliases: ['lr'], description: 'lr' },
  { key: 'verbose', type: 'boolean', default: false, description: 'talk' },
];

function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isFlotillaError(error, 'CONFIG_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

describe('option table', () => {
  it('maps camelCase keys to kebab-case flags', () => {
    expect(flagName('localEpochs')).toBe('local-epochs');
    expect(flagName('minPartitionSize')).toBe('min-partition-size');
  });

  it('parses flags in every form and lets flags override the file', () => {
    const { positionals, values } = parseFlags(specs, [
      'cfg.yaml',
      '--local-epochs',
      '2',
      '--clients=5',
      '--lr',
      '0.1',
      '--verbose',
    ]);
    expect(positionals).toEqual(['cfg.yaml']);
    expect(values).toEqual({ localEpochs: 2, clients: 5, learningRate: 0.1, verbose: true });
    const file = validateConfigObject(specs, { clients: 100, model: 'cnn' }, 'cfg.yaml');
    expect(mergeOptions(specs, file, values)).toEqual({
      localEpochs: 2,
      clients: 5,
      model: 'cnn',
      learningRate: 0.1,
      verbose: true,
    });
    expect(parseFlags(specs, ['--no-verbose']).values.verbose).toBe(false);
  });

  it('names the bad key: unknown keys with a suggestion, wrong types, out-of-range values', () => {
    expect(configErrorOf(() => validateConfigObject(specs, { localEpoch: 1 }, 'c.yaml'))).toBe(
      'c.yaml: unknown key "localEpoch" (did you mean "localEpochs"?)',
    );
    expect(configErrorOf(() => validateConfigObject(specs, { clients: -3 }, 'c.yaml'))).toBe(
      'c.yaml: "clients" must be >= 1, got -3',
    );
    expect(configErrorOf(() => validateConfigObject(specs, { clients: 2.5 }, 'c.yaml'))).toMatch(/integer/);
    expect(configErrorOf(() => validateConfigObject(specs, { model: 'rnn' }, 'c.yaml'))).toMatch(
      /"model" must be one of mlp, cnn/,
    );
    expect(configErrorOf(() => validateConfigObject(specs, [1, 2], 'c.yaml'))).toMatch(/mapping/);
    expect(configErrorOf(() => parseFlags(specs, ['--client', '3']))).toMatch(
      /unknown option --client .*--clients/,
    );
    expect(configErrorOf(() => parseFlags(specs, ['--clients']))).toMatch(/needs a value/);
    expect(configErrorOf(() => parseFlags(specs, ['--lr', 'fast']))).toMatch(/must be a number/);
    expect(configErrorOf(() => parseFlags(specs, ['--local-epochs', '0']))).toMatch(/must be > 0/);
  });

  it('publishes a JSON Schema that forbids unknown keys', () => {
    const schema = jsonSchema(specs, 'test');
    expect(schema.additionalProperties).toBe(false);
    expect((schema.properties as Record<string, unknown>).clients).toEqual({
      description: 'clients',
      default: 10,
      type: 'integer',
      minimum: 1,
    });
  });
});

describe('option groups (secureAggregation)', () => {
  const specs: OptionSpec[] = [
    { key: 'secureAggregation', type: 'boolean', default: false, description: 'on' },
    { key: 'secureAggregation.threshold', type: 'number', above: 0.5, description: 't' },
  ];

  it('takes a mapping of sub-keys, which turns the group on', () => {
    expect(validateConfigObject(specs, { secureAggregation: { threshold: 0.7 } }, 'c.yaml')).toEqual({
      secureAggregation: true,
      'secureAggregation.threshold': 0.7,
    });
    expect(validateConfigObject(specs, { secureAggregation: {} }, 'c.yaml')).toEqual({
      secureAggregation: true,
    });
    expect(validateConfigObject(specs, { secureAggregation: false }, 'c.yaml')).toEqual({
      secureAggregation: false,
    });
  });

  it('names an unknown or bad sub-key', () => {
    expect(() => validateConfigObject(specs, { secureAggregation: { treshold: 0.7 } }, 'c.yaml')).toThrow(
      'c.yaml: unknown key "secureAggregation.treshold" (did you mean "threshold"?)',
    );
    expect(() => validateConfigObject(specs, { secureAggregation: { threshold: 0.2 } }, 'c.yaml')).toThrow(
      /"secureAggregation.threshold" must be > 0.5/,
    );
  });

  it('publishes the group as a boolean or an object in the JSON Schema', () => {
    const schema = jsonSchema(specs, 't') as { properties: Record<string, { oneOf?: unknown[] }> };
    expect(Object.keys(schema.properties)).toEqual(['secureAggregation']);
    expect(schema.properties['secureAggregation']!.oneOf).toHaveLength(2);
  });
});

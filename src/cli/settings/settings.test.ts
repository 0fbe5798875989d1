import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isFlotillaError } from '../../core/index.js';
import {
  commandSettings,
  configLayer,
  count,
  fieldsOf,
  flagName,
  group,
  readSettings,
  settingsJsonSchema,
} from './index.js';

const schema = z.strictObject({
  localEpochs: count().default(1).meta({ description: 'epochs' }),
  clients: count().default(10).meta({ description: 'clients' }),
  fraction: z.number().gt(0).max(1).default(1).meta({ description: 'fraction' }),
  model: z.enum(['mlp', 'cnn']).default('mlp').meta({ description: 'model' }),
  learningRate: z
    .number()
    .gt(0)
    .optional()
    .meta({ description: 'lr', aliases: ['lr'] }),
  verbose: z.boolean().default(false).meta({ description: 'talk' }),
  deadline: z.number().gt(0).default(600).meta({ description: 'time', unit: 'seconds' }),
  secureAggregation: group(
    {
      threshold: z.number().gt(0.5).optional().meta({ description: 't' }),
      neighbours: count().optional().meta({ description: 'k' }),
    },
    { description: 'on' },
  ),
});
const command = commandSettings(schema);

function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isFlotillaError(error, 'CONFIG_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected a CONFIG_INVALID error');
}

const fromFile = (values: unknown) => readSettings(schema, [configLayer(values, 'c.yaml')]).settings;

describe('settings on the command line', () => {
  it('reads `--flag true|false` and `--flag=true|false` for booleans, without taking a positional', () => {
    expect(command.read(['--verbose', 'false', 'cfg.yaml']).settings.verbose).toBe(false);
    expect(command.read(['--verbose', 'false', 'cfg.yaml']).line.positionals).toEqual(['cfg.yaml']);
    expect(command.read(['--verbose', 'true']).settings.verbose).toBe(true);
    expect(command.read(['--verbose=false']).settings.verbose).toBe(false);
    expect(command.read(['--verbose=true']).settings.verbose).toBe(true);
    // Any other word after a boolean flag is a positional, as before; after --, nothing is a flag.
    expect(command.read(['--verbose', 'cfg.yaml']).line.positionals).toEqual(['cfg.yaml']);
    expect(command.read(['--', '--verbose', 'false']).line.positionals).toEqual(['--verbose', 'false']);
    expect(command.read(['--secure-aggregation', 'false']).settings.secureAggregation).toBeUndefined();
    expect(command.read(['--secure-aggregation=true']).settings.secureAggregation).toEqual({});
  });

  it('maps camelCase keys to kebab-case flags', () => {
    expect(flagName('localEpochs')).toBe('local-epochs');
    expect(flagName('minPartitionSize')).toBe('min-partition-size');
    expect(fieldsOf(schema).map((f) => f.flag)).toContain('secure-aggregation.threshold');
  });

  it('parses flags in every form, typed, and lets flags override the file', () => {
    const args = ['cfg.yaml', '--local-epochs', '2', '--clients=5', '--lr', '0.1', '--verbose'];
    const { line, settings } = command.read(args, {
      file: () => configLayer({ clients: 100, model: 'cnn' }, 'cfg.yaml'),
    });
    expect(line.positionals).toEqual(['cfg.yaml']);
    expect(settings).toMatchObject({
      localEpochs: 2,
      clients: 5,
      model: 'cnn',
      learningRate: 0.1,
      verbose: true,
    });
    expect(command.read(['--no-verbose']).settings.verbose).toBe(false);
  });

  it('takes -h and --help as help, and everything after -- as positionals', () => {
    expect(command.read(['-h']).line.help).toBe(true);
    expect(command.read(['--help']).line.help).toBe(true);
    const { line, settings } = command.read(['--clients', '3', '--', '--clients', '7', '-h']);
    expect(line.positionals).toEqual(['--clients', '7', '-h']);
    expect(line.help).toBe(false);
    expect(settings.clients).toBe(3);
  });

  it('reads a negative number after a flag as its value', () => {
    expect(configErrorOf(() => command.read(['--clients', '-5']))).toBe(
      'option --clients: "clients" must be >= 1, got -5',
    );
    expect(configErrorOf(() => command.read(['--lr', '-.5', '--clients', '2']))).toBe(
      'option --lr: "learningRate" must be > 0, got -0.5',
    );
  });

  it('names a bad flag: unknown with a suggestion, missing value, wrong type, out of range', () => {
    expect(configErrorOf(() => command.read(['--client', '3']))).toBe(
      'unknown option --client (did you mean "--clients"?)',
    );
    expect(configErrorOf(() => command.read(['--clients']))).toBe('option --clients needs a value');
    expect(configErrorOf(() => command.read(['--lr', 'fast']))).toBe(
      'option --lr: "learningRate" must be a number, got "fast"',
    );
    expect(configErrorOf(() => command.read(['--local-epochs', '0']))).toBe(
      'option --local-epochs: "localEpochs" must be >= 1, got 0',
    );
    expect(configErrorOf(() => command.read(['--fraction', '0']))).toBe(
      'option --fraction: "fraction" must be in (0, 1], got 0',
    );
  });
});

describe('settings in a config file', () => {
  it('names the bad key: unknown keys with a suggestion, wrong types, out-of-range values', () => {
    expect(configErrorOf(() => fromFile({ localEpoch: 1 }))).toBe(
      'c.yaml: unknown key "localEpoch" (did you mean "localEpochs"?)',
    );
    expect(configErrorOf(() => fromFile({ clients: -3 }))).toBe('c.yaml: "clients" must be >= 1, got -3');
    expect(configErrorOf(() => fromFile({ clients: 2.5 }))).toBe(
      'c.yaml: "clients" must be an integer, got 2.5',
    );
    expect(configErrorOf(() => fromFile({ model: 'rnn' }))).toBe(
      'c.yaml: "model" must be one of mlp, cnn, got "rnn"',
    );
    expect(configErrorOf(() => fromFile({ verbose: 'yes' }))).toBe(
      'c.yaml: "verbose" must be true or false, got "yes"',
    );
    expect(configErrorOf(() => fromFile([1, 2]))).toMatch(/mapping/);
  });

  it('fills defaults and types every value', () => {
    const settings = fromFile({ fraction: 0.5 });
    expect(settings).toMatchObject({
      localEpochs: 1,
      clients: 10,
      fraction: 0.5,
      model: 'mlp',
      deadline: 600,
    });
    expect(settings.secureAggregation).toBeUndefined();
  });
});

describe('setting groups (secureAggregation)', () => {
  it('takes a mapping of sub-keys, which turns the group on, or true / false', () => {
    expect(fromFile({ secureAggregation: { threshold: 0.7 } }).secureAggregation).toEqual({ threshold: 0.7 });
    expect(fromFile({ secureAggregation: {} }).secureAggregation).toEqual({});
    expect(fromFile({ secureAggregation: true }).secureAggregation).toEqual({});
    expect(fromFile({ secureAggregation: false }).secureAggregation).toBeUndefined();
  });

  it('merges dotted flags into the file mapping', () => {
    const { settings } = command.read(['--secure-aggregation.neighbours', '3'], {
      file: () => configLayer({ secureAggregation: { threshold: 0.7 } }, 'c.yaml'),
    });
    expect(settings.secureAggregation).toEqual({ threshold: 0.7, neighbours: 3 });
    expect(
      command.read(['--secure-aggregation.threshold', '0.8', '--secure-aggregation']).settings
        .secureAggregation,
    ).toEqual({
      threshold: 0.8,
    });
    expect(command.read(['--secure-aggregation']).settings.secureAggregation).toEqual({});
  });

  it('names an unknown or bad sub-key', () => {
    expect(configErrorOf(() => fromFile({ secureAggregation: { treshold: 0.7 } }))).toBe(
      'c.yaml: unknown key "secureAggregation.treshold" (did you mean "threshold"?)',
    );
    expect(configErrorOf(() => fromFile({ secureAggregation: { threshold: 0.2 } }))).toBe(
      'c.yaml: "secureAggregation.threshold" must be > 0.5, got 0.2',
    );
    expect(configErrorOf(() => fromFile({ secureAggregation: 3 }))).toBe(
      'c.yaml: "secureAggregation" must be true, false or a mapping of its keys, got 3',
    );
    expect(configErrorOf(() => command.read(['--secure-aggregation.threshold', '0.2']))).toBe(
      'option --secure-aggregation.threshold: "secureAggregation.threshold" must be > 0.5, got 0.2',
    );
  });
});

describe('the JSON Schema', () => {
  it('forbids unknown keys, carries ranges, defaults, help and units, and publishes a group as boolean or mapping', () => {
    const json = settingsJsonSchema(schema, 'test') as {
      title: string;
      additionalProperties: boolean;
      properties: Record<string, Record<string, unknown>>;
    };
    expect(json.title).toBe('test');
    expect(json.additionalProperties).toBe(false);
    expect(json.properties['clients']).toEqual({
      description: 'clients',
      default: 10,
      type: 'integer',
      minimum: 1,
    });
    expect(json.properties['deadline']!['description']).toBe('time (seconds)');
    expect(json.properties['learningRate']).not.toHaveProperty('aliases');
    expect(json.properties['secureAggregation']!['anyOf']).toHaveLength(2);
  });
});

describe('list settings', () => {
  const lists = z.strictObject({
    hooks: group(
      {
        names: z
          .array(z.enum(['a', 'b']))
          .default([])
          .meta({ description: 'names' }),
        tries: count().default(3).meta({ description: 'tries' }),
      },
      { description: 'hooks' },
    ),
  });
  const listCommand = commandSettings(lists);

  it('are set in a config file only: no flag, marked in help, a bad item named by its index', () => {
    expect(fieldsOf(lists).find((f) => f.key === 'hooks.names')?.kind).toBe('list');
    expect(listCommand.help()).toContain('  hooks.names (config file only)');
    expect(configErrorOf(() => listCommand.read(['--hooks.names', 'a']))).toMatch(
      /unknown option --hooks\.names/,
    );
    expect(readSettings(lists, [configLayer({ hooks: { names: ['b'] } }, 'c.yaml')]).settings.hooks).toEqual({
      names: ['b'],
      tries: 3,
    });
    expect(
      configErrorOf(() => readSettings(lists, [configLayer({ hooks: { names: ['a', 'c'] } }, 'c.yaml')])),
    ).toMatch(/^c\.yaml: "hooks\.names\.1" /);
  });
});

/**
 * The flat list of a command's settings as users meet them: one entry per config key and flag, with its type, range,
 * default and help, read off the zod schema through its JSON Schema (so help, flags and the published schema cannot
 * disagree). A group contributes its own entry (a boolean flag) and one per member (`group.member`).
 */
import { z } from 'zod';
import { flagName } from './define.js';

/** 'list': a list of values or mappings (alerts.webhooks), set in a config file only: it has no flag. */
export type FieldKind = 'boolean' | 'integer' | 'number' | 'string' | 'enum' | 'group' | 'list';

export interface Field {
  /** Config key; a group member's is dotted: `secureAggregation.threshold`. */
  readonly key: string;
  readonly path: readonly string[];
  readonly flag: string;
  readonly aliases: readonly string[];
  readonly kind: FieldKind;
  readonly values?: readonly string[];
  readonly default?: unknown;
  readonly description: string;
  readonly unit?: string;
  /** The allowed range of a number, e.g. `>= 1` or `(0, 1]`; empty when any value of its type goes. */
  readonly range: string;
}

type Json = Record<string, unknown>;

/** JSON Schema of a whole settings object: draft 2020-12, unknown keys refused, help as `description`. */
export function settingsJsonSchema(schema: z.ZodObject, title: string): Json {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    override: ({ jsonSchema }) => {
      const node = jsonSchema as Json;
      delete node.aliases; // flag names are not config keys
      if (node.unit !== undefined) {
        node.description = `${String(node.description ?? '')} (${String(node.unit)})`.trim();
        delete node.unit;
      }
      dropSafeIntegerBounds(node);
    },
  }) as Json;
  return { ...json, title };
}

const LIMIT = Number.MAX_SAFE_INTEGER;

function dropSafeIntegerBounds(node: Json): void {
  if (node.minimum === -LIMIT) delete node.minimum;
  if (node.maximum === LIMIT) delete node.maximum;
}

function range(node: Json): string {
  const low =
    typeof node.exclusiveMinimum === 'number'
      ? { value: node.exclusiveMinimum, open: true }
      : typeof node.minimum === 'number' && node.minimum !== -LIMIT
        ? { value: node.minimum, open: false }
        : undefined;
  const high =
    typeof node.exclusiveMaximum === 'number'
      ? { value: node.exclusiveMaximum, open: true }
      : typeof node.maximum === 'number' && node.maximum !== LIMIT
        ? { value: node.maximum, open: false }
        : undefined;
  if (low && high) return `${low.open ? '(' : '['}${low.value}, ${high.value}${high.open ? ')' : ']'}`;
  if (low) return `${low.open ? '>' : '>='} ${low.value}`;
  if (high) return `${high.open ? '<' : '<='} ${high.value}`;
  return '';
}

/** A list of strings in the JSON Schema (enum values, flag aliases), or undefined. */
function strings(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.map(String) : undefined;
}

function field(path: readonly string[], node: Json, kind?: FieldKind): Field {
  const values = strings(node.enum);
  const type =
    node.type === 'integer' || node.type === 'number' || node.type === 'boolean' ? node.type : 'string';
  return {
    key: path.join('.'),
    path,
    flag: path.map(flagName).join('.'),
    aliases: strings(node.aliases) ?? [],
    kind: kind ?? (values ? 'enum' : node.type === 'array' ? 'list' : type),
    ...(values ? { values } : {}),
    ...(node.default !== undefined ? { default: node.default } : {}),
    description: String(node.description ?? ''),
    ...(typeof node.unit === 'string' ? { unit: node.unit } : {}),
    range: range(node),
  };
}

const cache = new WeakMap<z.ZodObject, readonly Field[]>();

/** Every setting of a command schema, in declaration order, group members after their group. */
export function fieldsOf(schema: z.ZodObject): readonly Field[] {
  const known = cache.get(schema);
  if (known) return known;
  const fields: Field[] = [];
  for (const [key, member] of Object.entries(schema.shape)) {
    const node = z.toJSONSchema(member as z.ZodType, { io: 'input', unrepresentable: 'any' }) as Json;
    const object = (node.anyOf as Json[] | undefined)?.find((n) => n.type === 'object');
    if (!object) {
      fields.push(field([key], node));
      continue;
    }
    fields.push(field([key], node, 'group'));
    for (const [sub, subNode] of Object.entries((object.properties ?? {}) as Record<string, Json>)) {
      fields.push(field([key, sub], subNode));
    }
  }
  cache.set(schema, fields);
  return fields;
}

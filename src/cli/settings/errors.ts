/**
 * Turns the first zod issue of a settings check into the one line a user sees: the source (config file or flag), the
 * key, what is allowed and what was given; an unknown key gets the closest known one as a hint.
 */
import type { z } from 'zod';
import { FlotillaError } from '../../core/index.js';
import type { Field } from './fields.js';

export function configError(message: string, details: Record<string, unknown> = {}): FlotillaError {
  return new FlotillaError('CONFIG_INVALID', message, details);
}

/** Closest candidate by edit distance, as ` (did you mean "x"?)`, or '' when nothing is close. */
export function suggest(
  name: string,
  candidates: readonly string[],
  quote = (s: string) => `"${s}"`,
): string {
  let best = '';
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${quote(best)}?)` : '';
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

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key];
  return value;
}

/** What the setting allows, for a value that is not that. */
function allowed(issue: z.core.$ZodIssue, field: Field | undefined): string {
  if (field?.kind === 'enum') return `must be one of ${field.values?.join(', ')}`;
  if (field?.kind === 'group') return 'must be true, false or a mapping of its keys';
  switch (issue.code) {
    case 'invalid_type':
      if (issue.expected === 'int') return 'must be an integer';
      if (issue.expected === 'boolean') return 'must be true or false';
      if (issue.expected === 'string') return 'must be a non-empty string';
      return `must be ${issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`}`;
    case 'too_small':
    case 'too_big':
      if (issue.origin === 'string') return 'must be a non-empty string';
      if (field?.range.includes(',')) return `must be in ${field.range}`;
      return issue.code === 'too_small'
        ? `must be ${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`
        : `must be ${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
}

/**
 * The CONFIG_INVALID error of an issue found in `data`; `sourceOf(key)` names where a key was set (a file path or
 * `option --flag`), `fields` are the command's settings.
 */
export function issueError(
  issue: z.core.$ZodIssue,
  data: unknown,
  fields: readonly Field[],
  sourceOf: (key: string) => string,
): FlotillaError {
  if (issue.code === 'invalid_union') {
    // A group (true, false or a mapping) given a mapping with a bad member: report the member, not the group.
    const member = issue.errors.find((list) => list.length > 0 && list.every((i) => i.path.length > 0));
    if (member) {
      const inner = member[0]!;
      return issueError({ ...inner, path: [...issue.path, ...inner.path] }, data, fields, sourceOf);
    }
  }
  const path = issue.path.map(String);
  if (issue.code === 'unrecognized_keys') {
    const name = issue.keys[0]!;
    const key = [...path, name].join('.');
    const siblings = fields
      .filter((f) => f.path.length === path.length + 1 && f.path.slice(0, -1).join('.') === path.join('.'))
      .map((f) => f.path.at(-1)!);
    return configError(`${sourceOf(key)}: unknown key "${key}"${suggest(name, siblings)}`, { key });
  }
  const key = path.join('.');
  const field = fields.find((f) => f.key === key);
  const value = valueAt(data, issue.path);
  return configError(`${sourceOf(key)}: "${key}" ${allowed(issue, field)}, got ${JSON.stringify(value)}`, {
    key,
  });
}

/** A command's settings as `--help` lines and as the README's Markdown table, both from fieldsOf. */
import type { Field } from './fields.js';

function flags(field: Field): string[] {
  return [field.flag, ...field.aliases].map((f) => `--${f}`);
}

/** A default as users write it: lists as JSON (`[]`), the rest as text. */
function defaultText(value: unknown): string {
  return Array.isArray(value) ? JSON.stringify(value) : String(value);
}

function typeText(field: Field): string {
  if (field.kind === 'enum') return (field.values ?? []).join('|');
  if (field.kind === 'group') return 'boolean or mapping';
  if (field.kind === 'list') return 'list (config file only)';
  return [field.kind, field.range].filter(Boolean).join(' ');
}

function meaning(field: Field): string {
  return field.unit ? `${field.description} (${field.unit})` : field.description;
}

/** The option reference printed by `--help`. */
export function formatHelp(fields: readonly Field[]): string {
  return fields
    .flatMap((field) => {
      if (field.kind === 'list') return [`  ${field.key} (config file only)`, `      ${meaning(field)}`];
      const value =
        field.kind === 'boolean' || field.kind === 'group'
          ? ''
          : field.kind === 'enum'
            ? ` <${field.values?.join('|')}>`
            : ` <${typeText(field)}>`;
      const dflt = field.default !== undefined ? ` (default ${defaultText(field.default)})` : '';
      return [`  ${flags(field).join(', ')}${value}`, `      ${meaning(field)}${dflt}`];
    })
    .join('\n');
}

/** A Markdown table of settings: key, flags, type and range, default, meaning. */
export function optionsMarkdown(fields: readonly Field[]): string {
  const escape = (text: string) => text.replace(/\|/g, '\\|');
  const rows = fields.map((field) => {
    const type =
      field.kind === 'enum'
        ? (field.values ?? []).map((v) => `\`${v}\``).join(' \\| ')
        : escape(typeText(field));
    const dflt = field.default === undefined ? '' : `\`${defaultText(field.default)}\``;
    const flagList =
      field.kind === 'list'
        ? ''
        : flags(field)
            .map((f) => `\`${f}\``)
            .join(', ');
    return `| \`${field.key}\` | ${flagList} | ${type} | ${escape(dflt)} | ${escape(meaning(field))} |`;
  });
  return ['| key | flag | type | default | meaning |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

/**
 * How a setting is declared: a zod schema carrying its help in `.meta()`. The schema gives the range and the default
 * (checked on every config file and flag), the static type (`z.output`), and the JSON Schema; the metadata gives the
 * help line, the unit and extra flag names. A group (`secureAggregation`) is a mapping of sub-settings that may also
 * be written `true` (on, every default) or `false` (off); its sub-settings are flags too (`--secure-aggregation.threshold`).
 */
import { z } from 'zod';

declare module 'zod' {
  interface GlobalMeta {
    /** The unit of a number (seconds, bytes...), shown in help and the README. */
    unit?: string;
    /** Extra flag names without dashes, e.g. `lr` for `learningRate`. */
    aliases?: readonly string[];
  }
}

/** What every setting's `.meta()` carries. */
export type SettingHelp = {
  readonly description: string;
  readonly unit?: string;
  readonly aliases?: readonly string[];
};

/** A group of sub-settings: absent or `false` is off (undefined), `true` is on with every default. */
export function group<Shape extends z.ZodRawShape>(shape: Shape, help: SettingHelp) {
  return z
    .union([z.boolean(), z.strictObject(shape)])
    .optional()
    .transform((value) => (value === true ? z.strictObject(shape).parse({}) : value || undefined))
    .meta(help);
}

/** `localEpochs` <-> `local-epochs`; a group member keeps its dot: `secureAggregation.threshold`. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A positive count of something, e.g. rounds. */
export const count = (min = 1) => z.int().min(min);
/** A non-empty string (a path, a name). */
export const text = () => z.string().min(1);

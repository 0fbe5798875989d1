/**
 * What a server takes from a run config written for a simulation. The keys that fix the model's input (dataset, and
 * a csv dataset's schema) give its input shape and class count when `inputSize` and `numClasses` are not set; the
 * keys that only describe how a simulation splits data among virtual clients, or how it runs on one machine, have no
 * meaning for a server, which says once which of them it ignores.
 */
import { FlotillaError } from '../core/index.js';
import { STROKE_SCHEMA, encodedWidth, type TabularSchema } from '../data/index.js';
import { loadTabularSchemaFile } from '../sim/tabular-schema-file.js';
import { DATA_SETTINGS, INPUT_SHAPE_KEYS, SIMULATION_SETTINGS } from './settings/run-settings.js';
import type { ServerSettings } from './settings/server-settings.js';

/** Run keys a server ignores: the simulated split and the simulation's own machinery. */
export const SERVER_IGNORED_KEYS: readonly string[] = [
  ...Object.keys(DATA_SETTINGS).filter((k) => !(INPUT_SHAPE_KEYS as readonly string[]).includes(k)),
  ...Object.keys(SIMULATION_SETTINGS),
  'rootSize',
];

/** The ignored keys the user set (in the file or as flags), in declaration order. */
export function ignoredKeys(given: ReadonlySet<string>): string[] {
  return SERVER_IGNORED_KEYS.filter((k) => given.has(k));
}

export interface ModelInput {
  readonly inputShape: readonly number[];
  readonly numClasses: number;
}

const IMAGE: ModelInput = { inputShape: [28, 28, 1], numClasses: 10 };

function tabular(schema: TabularSchema, what: string): ModelInput {
  const width = encodedWidth(schema);
  if (width === undefined) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `${what} learns some categories from the data, so it does not fix the model's input: set "inputSize"`,
      { key: 'inputSize' },
    );
  }
  return { inputShape: [width], numClasses: schema.classes?.length ?? 2 };
}

/** The model's input shape and class count: explicit keys first, then what the dataset fixes. */
export function serverModelInput(v: ServerSettings): ModelInput {
  const fromData = (): ModelInput | undefined => {
    switch (v.dataset) {
      case 'mnist':
      case 'fashion-mnist':
        return IMAGE;
      case 'stroke':
        return tabular(STROKE_SCHEMA, 'the stroke schema');
      case 'csv':
        if (!v.schema) return undefined;
        return tabular(loadTabularSchemaFile(v.schema), `schema ${v.schema}`);
      default:
        return undefined;
    }
  };
  const data = v.inputSize === undefined || v.numClasses === undefined ? fromData() : undefined;
  if (v.inputSize === undefined && !data) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      'server needs "inputSize" (--input-size), or a "dataset" that fixes it (stroke, mnist, fashion-mnist, csv with schema)',
      { key: 'inputSize' },
    );
  }
  return {
    inputShape: v.inputSize !== undefined ? [v.inputSize] : data!.inputShape,
    numClasses: v.numClasses ?? data?.numClasses ?? 2,
  };
}

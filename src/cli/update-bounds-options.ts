/**
 * The per-client bounds of a run config (simulate and server; engine/update-bounds.ts): how many examples one client
 * may claim and how long its update may be. Their defaults live in the engine (resolveEngineConfig), so a config
 * that leaves them out gets exactly what a library user gets.
 */
import type { EngineConfig, UpdateNormAction } from '../engine/index.js';
import type { OptionSpec, OptionValues } from './options.js';

export const UPDATE_BOUND_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'maxExamplesPerClient',
    type: 'integer',
    min: 1,
    description:
      'most examples one client may claim in a reply (its weight in aggregation and evaluation); more is rejected; default 1000000',
  },
  {
    key: 'maxUpdateNorm',
    type: 'number',
    above: 0,
    description:
      "largest L2 norm of one client's update (of the round's mean update under secure or homomorphic aggregation); default 1000",
  },
  {
    key: 'updateNormAction',
    type: 'enum',
    values: ['reject', 'clip'],
    description:
      "reject (default): a longer update is the client's failure; clip: it is scaled down to maxUpdateNorm",
  },
];

/** The engine keys the options set; absent ones keep the engine's defaults. */
export function resolveUpdateBoundOptions(
  v: OptionValues,
): Pick<EngineConfig, 'maxExamplesPerClient' | 'maxUpdateNorm' | 'updateNormAction'> {
  return {
    ...(v.maxExamplesPerClient !== undefined
      ? { maxExamplesPerClient: v.maxExamplesPerClient as number }
      : {}),
    ...(v.maxUpdateNorm !== undefined ? { maxUpdateNorm: v.maxUpdateNorm as number } : {}),
    ...(v.updateNormAction !== undefined ? { updateNormAction: v.updateNormAction as UpdateNormAction } : {}),
  };
}

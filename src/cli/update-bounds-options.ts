/** The update-bound settings (settings/run-update-bounds.ts) as engine keys; absent ones keep the engine's defaults. */
import type { EngineConfig } from '../engine/index.js';
import type { RunSettings } from './settings/run-settings.js';

export function resolveUpdateBoundOptions(
  v: Pick<RunSettings, 'maxExamplesPerClient' | 'maxUpdateNorm' | 'updateNormAction'>,
): Pick<EngineConfig, 'maxExamplesPerClient' | 'maxUpdateNorm' | 'updateNormAction'> {
  return {
    ...(v.maxExamplesPerClient !== undefined ? { maxExamplesPerClient: v.maxExamplesPerClient } : {}),
    ...(v.maxUpdateNorm !== undefined ? { maxUpdateNorm: v.maxUpdateNorm } : {}),
    ...(v.updateNormAction !== undefined ? { updateNormAction: v.updateNormAction } : {}),
  };
}

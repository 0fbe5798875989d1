/**
 * The engine's secure-aggregation config from the `secureAggregation` group (settings/run-secure-aggregation.ts):
 * seconds become milliseconds, the rest passes as it is; the engine checks the values against each other.
 */
import type { SecureAggregationConfig } from '../engine/index.js';
import type { RunSettings } from './settings/run-settings.js';

/** The engine's secure-aggregation config, or undefined when it is off. */
export function resolveSecureAggregationOptions(
  group: RunSettings['secureAggregation'],
): SecureAggregationConfig | undefined {
  if (!group) return undefined;
  const { stageTimeout, signed, ...protocol } = group;
  const config = Object.fromEntries(Object.entries(protocol).filter(([, value]) => value !== undefined));
  return {
    ...config,
    ...(stageTimeout !== undefined ? { stageTimeoutMs: stageTimeout * 1000 } : {}),
    ...(signed ? { signed } : {}),
  };
}

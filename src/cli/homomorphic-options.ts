/**
 * The engine's homomorphic-aggregation config from the `homomorphicAggregation` group
 * (settings/run-homomorphic.ts), and the CKKS parameters shared with `flotilla he keygen`. The CKKS parameters must be
 * those of the clients' key file.
 */
import { FlotillaError } from '../core/index.js';
import type { HomomorphicConfig } from '../engine/index.js';
import type { CKKS_SETTINGS, RunSettings } from './settings/run-settings.js';
import type { z } from 'zod';

type CkksSettings = z.output<z.ZodObject<typeof CKKS_SETTINGS>>;

/** Parses "60,40,40,60"; the CKKS rules themselves are checked by resolveCkksParams. */
export function parseModulusBits(text: string, key: string): number[] {
  const parts = text.split(',').map((p) => Number(p.trim()));
  if (parts.length === 0 || parts.some((n) => !Number.isInteger(n))) {
    throw new FlotillaError('CONFIG_INVALID', `"${key}" must be comma-separated integers, got "${text}"`, {
      key,
    });
  }
  return parts;
}

/** The CKKS parameters that are set; `prefix` names their group in errors. */
export function ckksParamsFrom(v: CkksSettings, prefix = ''): HomomorphicConfig {
  return {
    ...(v.polyModulusDegree !== undefined ? { polyModulusDegree: v.polyModulusDegree } : {}),
    ...(v.coeffModulusBits !== undefined
      ? { coeffModulusBits: parseModulusBits(v.coeffModulusBits, `${prefix}coeffModulusBits`) }
      : {}),
    ...(v.scaleBits !== undefined ? { scaleBits: v.scaleBits } : {}),
  };
}

/** The engine's homomorphic-aggregation config, or undefined when it is off. */
export function resolveHomomorphicOptions(
  group: RunSettings['homomorphicAggregation'],
): HomomorphicConfig | undefined {
  if (!group) return undefined;
  return {
    ...ckksParamsFrom(group, 'homomorphicAggregation.'),
    ...(group.stageTimeout !== undefined ? { stageTimeoutMs: group.stageTimeout * 1000 } : {}),
  };
}

/**
 * L2 clipping of a client update: the step that bounds each contribution's sensitivity, so that the noise added
 * later (centrally or locally) can be calibrated to it. Clipping alone spends no privacy.
 */
import { FlotillaError } from '../../core/errors.js';
import { clipByNorm, l2Norm, scale } from '../../core/kernels.js';
import type { ParameterSet } from '../../core/parameters.js';
import type { PrivacyStage, StageParameters } from './stage.js';

export interface ClipResult {
  /** True when the update's norm exceeded the bound and it was scaled down. */
  readonly clipped: boolean;
  /** The factor the update was multiplied by (1 when not clipped). */
  readonly factor: number;
}

/** Shrink applied when float32 rounding left a clipped update a hair above the bound. */
const ROUNDING_MARGIN = 1 - 2 ** -22;

export function assertClipNorm(clipNorm: number): void {
  if (!(clipNorm > 0) || !Number.isFinite(clipNorm)) {
    throw new FlotillaError('INVALID_ARGUMENT', `clip norm must be finite and > 0, got ${clipNorm}`);
  }
}

/**
 * Scales `update` in place so that its L2 norm is at most `clipNorm`. The DP guarantee needs the bound to hold for
 * the float32 values actually sent, and rounding each scaled value to float32 can push the norm up by ~1e-7
 * relative, so a clipped update is re-measured and shrunk by 2^-22 more if needed.
 */
export function clipUpdate(update: ParameterSet, clipNorm: number): ClipResult {
  assertClipNorm(clipNorm);
  update.assertFinite('update to clip');
  let factor = clipByNorm(update, clipNorm);
  if (factor === 1) return { clipped: false, factor };
  for (let norm = l2Norm(update); norm > clipNorm; norm = l2Norm(update)) {
    const extra = (clipNorm / norm) * ROUNDING_MARGIN;
    scale(update, extra);
    factor *= extra;
  }
  return { clipped: true, factor };
}

export class L2Clipping implements PrivacyStage {
  readonly name = 'l2-clip';

  constructor(readonly clipNorm: number) {
    assertClipNorm(clipNorm);
  }

  apply(update: ParameterSet): ClipResult {
    return clipUpdate(update, this.clipNorm);
  }

  parameters(): StageParameters {
    return { clipNorm: this.clipNorm };
  }

  privacyCost(): null {
    return null;
  }
}

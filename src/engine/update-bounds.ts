/**
 * What one client can do to a round, bounded by default (DESIGN principle 7). Without bounds a single authenticated
 * client claiming 2^53 - 1 examples takes the whole weight of a weighted mean, and one sending 3e38 in every
 * coordinate drives the global model to overflow within a few rounds. Two checks run on every result before the
 * strategy sees it: the claimed example count (its weight; evaluation replies are capped too) and the L2 norm of the
 * update. Under secure or homomorphic aggregation the server never sees one update, so the norm bound applies to the
 * round's mean update. Last, whatever the strategy produces is checked before it can be committed.
 */
import { l2Norm, scale, type ParameterSet } from '../core/index.js';
import type { ClientFailure, ClientFitResult, SecureSum } from '../strategy/strategy.js';
import type { ResolvedEngineConfig } from './config.js';
import type { Checked } from './replies.js';

export type UpdateBoundsConfig = Pick<
  ResolvedEngineConfig,
  'maxExamplesPerClient' | 'maxUpdateNorm' | 'updateNormAction'
>;

export class UpdateBounds {
  constructor(private readonly config: UpdateBoundsConfig) {}

  /**
   * A claimed example count above the cap is the client's failure ('rejected'), not clamped: clamping would
   * silently reweigh a client the operator may have meant to trust, while a rejection names the setting to raise.
   */
  countRefusal(clientId: string, numExamples: number): ClientFailure | undefined {
    const cap = this.config.maxExamplesPerClient;
    if (numExamples <= cap) return undefined;
    return {
      clientId,
      cause: 'rejected',
      message: `client "${clientId}" claimed ${numExamples} examples, more than maxExamplesPerClient (${cap})`,
    };
  }

  /**
   * The result as the strategy may see it: its count within the cap and its update within the norm bound (a clipped
   * update is a scaled copy; the reply's own tensors are left as they are), or the client's failure.
   */
  admit(result: ClientFitResult): Checked<ClientFitResult & { readonly updateNorm: number }> {
    const refused = this.countRefusal(result.clientId, result.numExamples);
    if (refused) return { ok: false, failure: refused };
    const update = this.bound(result.clientId, result.update, 'an update');
    if (!update.ok) return update;
    // SCAFFOLD's control variate delta moves the server's control variate as the update moves the model.
    const control =
      result.controlDelta && this.bound(result.clientId, result.controlDelta, 'a control variate delta');
    if (control && !control.ok) return control;
    return {
      ok: true,
      value: {
        ...result,
        update: update.value.tensors,
        ...(control ? { controlDelta: control.value.tensors } : {}),
        // The norm as sent, before clipping: what anomaly rules compare across the round's clients.
        updateNorm: update.value.norm,
      },
    };
  }

  /** `tensors` within the norm bound (a clipped copy with 'clip') and their norm as given, or the client's failure. */
  private bound(
    clientId: string,
    tensors: ParameterSet,
    what: string,
  ): Checked<{ readonly tensors: ParameterSet; readonly norm: number }> {
    const { maxUpdateNorm, updateNormAction } = this.config;
    // l2Norm sums float32 squares in float64, so even 3e38 in every coordinate gives a finite norm.
    const norm = l2Norm(tensors);
    if (norm <= maxUpdateNorm) return { ok: true, value: { tensors, norm } };
    if (updateNormAction === 'clip') {
      return { ok: true, value: { tensors: scale(tensors.clone(), maxUpdateNorm / norm), norm } };
    }
    return {
      ok: false,
      failure: {
        clientId,
        cause: 'rejected',
        message: `client "${clientId}" sent ${what} of L2 norm ${norm.toPrecision(3)}, more than maxUpdateNorm (${maxUpdateNorm})`,
      },
    };
  }

  /**
   * A securely summed round, whose mean update (weightedSum / weightTotal) must obey the per-update bound: the
   * server cannot tell which client sent an oversized update, so 'reject' fails the attempt (with why) and 'clip'
   * scales the whole sum down to the bound.
   */
  boundSum(sum: SecureSum): { readonly sum: SecureSum } | { readonly refusal: string } {
    if (!(sum.weightTotal > 0)) return { sum };
    const { maxUpdateNorm, updateNormAction } = this.config;
    const norm = l2Norm(sum.weightedSum) / sum.weightTotal;
    if (norm <= maxUpdateNorm) return { sum };
    if (updateNormAction === 'reject') {
      return {
        refusal: `the round's mean update has L2 norm ${norm.toPrecision(3)}, more than maxUpdateNorm (${maxUpdateNorm})`,
      };
    }
    return { sum: { ...sum, weightedSum: scale(sum.weightedSum.clone(), maxUpdateNorm / norm) } };
  }
}

/**
 * Why the strategy's new global parameters must not be committed, or undefined when they may. A non-finite value
 * (an overflow to infinity included) would be stored as the checkpoint a restart resumes from, so no restart could
 * recover the run.
 */
export function aggregateRefusal(
  strategy: string,
  global: ParameterSet,
  params: ParameterSet,
): string | undefined {
  if (!params.layout.equals(global.layout)) {
    return `strategy "${strategy}" produced parameters with a layout other than the global model's`;
  }
  const bad = params.firstNonFinite();
  if (bad < 0) return undefined;
  return (
    `strategy "${strategy}" produced a non-finite value (${params.data[bad]}) in tensor ` +
    `"${params.tensorNameAt(bad)}"`
  );
}

/**
 * The client half of SCAFFOLD (Karimireddy et al. 2020, Algorithm 1). The client keeps its control variate c_i
 * across rounds (it never leaves the client); for a task that carries the server's variate c it trains with the
 * corrected step y <- y - lr (g(y) - c_i + c) and then applies option II:
 *   c_i+ = c_i - c + (x - y) / (K lr)
 * with x the global parameters, y the trained ones, K the local steps and lr the learning rate. It reports
 * delta c_i = c_i+ - c_i = -c - update / (K lr), where update = y - x. Option II assumes plain SGD steps (with
 * momentum or Adam (x - y) / (K lr) is not the mean gradient), so the engine refuses SCAFFOLD with either
 * (strategy/scaffold.ts SCAFFOLD_REQUIRES).
 */
import { FlotillaError, ParameterSet, type FitExtras } from '../core/index.js';

export class ClientControlVariate {
  /** c_i; undefined until the first SCAFFOLD task, then zeros of the model's layout (the paper's c_i = 0). */
  private current: ParameterSet | undefined;

  /** The correction c - c_i the trainer adds to every gradient. */
  extras(control: ParameterSet): FitExtras {
    const ci = this.variateFor(control);
    const correction = control.zerosLike();
    const out = correction.data;
    for (let j = 0; j < out.length; j++) out[j] = control.data[j]! - ci.data[j]!;
    return { gradientCorrection: correction };
  }

  /**
   * Advances c_i after a fit and returns delta c_i. A fit that took no step (no data) leaves c_i alone and reports
   * a zero delta.
   */
  advance(
    control: ParameterSet,
    update: ParameterSet,
    localSteps: number,
    learningRate: number,
  ): ParameterSet {
    const ci = this.variateFor(control);
    const delta = control.zerosLike();
    if (localSteps === 0) return delta;
    if (!(Number.isSafeInteger(localSteps) && localSteps > 0)) {
      throw new FlotillaError(
        'CLIENT_FAILED',
        `SCAFFOLD needs a step count, the trainer reported ${localSteps}`,
      );
    }
    const inverse = 1 / (localSteps * learningRate);
    const d = delta.data;
    const c = control.data;
    const u = update.data;
    for (let j = 0; j < d.length; j++) d[j] = -c[j]! - u[j]! * inverse;
    delta.assertFinite('the control variate delta');
    const next = ci.data.slice();
    for (let j = 0; j < next.length; j++) next[j] = next[j]! + d[j]!;
    this.current = new ParameterSet(control.layout, next);
    return delta;
  }

  /** c_i, restarted at zero when the model's layout changes (a different model is a different problem). */
  private variateFor(control: ParameterSet): ParameterSet {
    if (!this.current || !this.current.layout.equals(control.layout)) this.current = control.zerosLike();
    return this.current;
  }
}

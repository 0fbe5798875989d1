/**
 * The simulator's attack suite (`--attack NAME --attackers FRACTION`): a seeded set of virtual clients turns
 * Byzantine. The attack wraps client behaviour, never the engine or the strategy, so robust rules face exactly what
 * a deployment would receive:
 * - label-flip: the attacker trains honestly on its data with every label y replaced by K - 1 - y (in the host);
 * - sign-flip (-u), scale (s u), gaussian (N(0, sigma^2) per coordinate instead of u): applied to the attacker's
 *   honestly trained update u by AttackPool, which rewrites its fit-result frame;
 * - alie ("A Little Is Enough", Baruch et al. 2019): every attacker sends mean - z * std, per coordinate, of the
 *   round's benign updates, with z from the paper (see `alieZ`) unless given;
 * - ipm (inner-product manipulation, Xie et al. 2020): every attacker sends -epsilon * mean of the benign updates.
 * ALIE and IPM assume an omniscient attacker: the statistics come from the honest clients' updates of the same
 * round (all of them, as the simulator sees them); when no honest client reported, from the attackers' own honestly
 * trained updates. To see them, AttackPool waits for every outcome of a fit dispatch before yielding any (it keeps
 * the simulator's task order, so runs stay reproducible).
 */
import { FlotillaError, ParameterSet, Rng, type Dataset } from '../core/index.js';
import type {
  ClientDescriptor,
  ClientPool,
  DispatchOptions,
  TaskEnvelope,
  TaskOutcome,
} from '../engine/index.js';
import { decodeMessage, encodeMessage, type FitResultMessage } from '../protocol/index.js';

export const ATTACK_NAMES = ['sign-flip', 'scale', 'gaussian', 'label-flip', 'alie', 'ipm'] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];

export interface AttackConfig {
  readonly name: AttackName;
  /** Fraction of the clients that attack, in (0, 1). */
  readonly fraction: number;
  /** scale: the factor s (default 10). */
  readonly scale?: number;
  /** gaussian: the standard deviation sigma (default 1). */
  readonly noiseStd?: number;
  /** ipm: epsilon (default 0.5; epsilon < 1 keeps the mean's direction reversed but small, as in Xie et al.). */
  readonly ipmEpsilon?: number;
  /** alie: z (default from n and the number of attackers, see alieZ). */
  readonly alieZ?: number;
}

/** How many of n clients attack: round(fraction * n), at least 1. */
export function attackerCount(n: number, fraction: number): number {
  return Math.max(1, Math.round(fraction * n));
}

/** attackerCount(n, fraction) clients, chosen by the run seed; sorted. */
export function chooseAttackers(clientIds: readonly string[], fraction: number, seed: number): string[] {
  if (!(fraction > 0 && fraction < 1)) {
    throw new FlotillaError('CONFIG_INVALID', `"attackers" must be a fraction in (0, 1), got ${fraction}`, {
      key: 'attackers',
    });
  }
  const count = attackerCount(clientIds.length, fraction);
  const sorted = [...clientIds].sort();
  return new Rng(seed).split('attackers').sample(sorted, count).sort();
}

/** The same examples with every label y turned into K - 1 - y (a label-flipping attacker's training data). */
export function flipLabels(data: Dataset): Dataset {
  const labels = data.labels.map((y) => data.numClasses - 1 - y);
  return { ...data, name: `${data.name} (labels flipped)`, labels };
}

/**
 * Baruch et al. 2019, Algorithm 3: with n workers and m attackers, s = floor(n/2 + 1) - m workers must be won
 * over, and z = Phi^-1((n - s) / n) is the largest shift that still sits inside that many benign values.
 */
export function alieZ(n: number, attackers: number): number {
  const s = Math.floor(n / 2 + 1) - attackers;
  const p = (n - s) / n;
  // p <= 0.5 would give z <= 0 (no shift): fall back to a small positive shift so the attack still acts.
  return p > 0.5 && p < 1 ? inverseNormalCdf(p) : 0.1;
}

/** Phi^-1(p) for p in (0, 1) (Acklam's rational approximation, relative error < 1.2e-9). */
export function inverseNormalCdf(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
    ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/** Per-coordinate mean and (population) standard deviation of some updates, in float64. */
export function coordinateStats(updates: readonly ParameterSet[]): { mean: Float64Array; std: Float64Array } {
  const size = updates[0]!.size;
  const mean = new Float64Array(size);
  const std = new Float64Array(size);
  for (const u of updates) for (let i = 0; i < size; i++) mean[i] = mean[i]! + u.data[i]!;
  for (let i = 0; i < size; i++) mean[i] = mean[i]! / updates.length;
  for (const u of updates) {
    for (let i = 0; i < size; i++) {
      const d = u.data[i]! - mean[i]!;
      std[i] = std[i]! + d * d;
    }
  }
  for (let i = 0; i < size; i++) std[i] = Math.sqrt(std[i]! / updates.length);
  return { mean, std };
}

/** A ClientPool whose attacker clients' fit results are replaced by the configured attack's updates. */
export class AttackPool implements ClientPool {
  private readonly attackers: ReadonlySet<string>;

  constructor(
    private readonly inner: ClientPool,
    private readonly attack: AttackConfig,
    attackers: readonly string[],
    private readonly seed: number,
  ) {
    this.attackers = new Set(attackers);
  }

  available(): readonly ClientDescriptor[] {
    return this.inner.available();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  async *dispatch(tasks: readonly TaskEnvelope[], options: DispatchOptions): AsyncIterable<TaskOutcome> {
    const outcomes: TaskOutcome[] = [];
    for await (const outcome of this.inner.dispatch(tasks, options)) outcomes.push(outcome);
    if (this.attack.name === 'label-flip') {
      yield* outcomes; // the attack happened in training
      return;
    }
    const fits = new Map<string, FitResultMessage>();
    for (const o of outcomes) {
      if (o.kind !== 'reply') continue;
      const message = decodeMessage(o.frame);
      if (message.type === 'fit-result') fits.set(o.taskId, message);
    }
    const attacking = outcomes.filter((o) => this.attackers.has(o.clientId) && fits.has(o.taskId));
    if (attacking.length === 0) {
      yield* outcomes;
      return;
    }
    const honest = outcomes.filter((o) => !this.attackers.has(o.clientId) && fits.has(o.taskId));
    const statsOf = () => {
      const source = honest.length > 0 ? honest : attacking;
      return coordinateStats(source.map((o) => fits.get(o.taskId)!.update));
    };
    const shared = this.attack.name === 'alie' || this.attack.name === 'ipm' ? statsOf() : undefined;
    const n = outcomes.filter((o) => fits.has(o.taskId)).length;
    for (const outcome of outcomes) {
      const fit = fits.get(outcome.taskId);
      if (outcome.kind !== 'reply' || !fit || !this.attackers.has(outcome.clientId)) {
        yield outcome;
        continue;
      }
      const update = this.forge(fit, outcome.taskId, shared, n, attacking.length);
      yield { ...outcome, frame: encodeMessage({ ...fit, update }) };
    }
  }

  private forge(
    fit: FitResultMessage,
    taskId: string,
    stats: { mean: Float64Array; std: Float64Array } | undefined,
    n: number,
    attackers: number,
  ): ParameterSet {
    const out = fit.update.zerosLike();
    const o = out.data;
    const u = fit.update.data;
    switch (this.attack.name) {
      case 'sign-flip':
        for (let i = 0; i < o.length; i++) o[i] = -u[i]!;
        break;
      case 'scale': {
        const s = this.attack.scale ?? 10;
        for (let i = 0; i < o.length; i++) o[i] = s * u[i]!;
        break;
      }
      case 'gaussian': {
        const sigma = this.attack.noiseStd ?? 1;
        const rng = new Rng(this.seed).split('gaussian-attack', taskId);
        for (let i = 0; i < o.length; i++) o[i] = sigma * rng.normal();
        break;
      }
      case 'alie': {
        const z = this.attack.alieZ ?? alieZ(n, attackers);
        for (let i = 0; i < o.length; i++) o[i] = stats!.mean[i]! - z * stats!.std[i]!;
        break;
      }
      case 'ipm': {
        const epsilon = this.attack.ipmEpsilon ?? 0.5;
        for (let i = 0; i < o.length; i++) o[i] = -epsilon * stats!.mean[i]!;
        break;
      }
      case 'label-flip':
        return fit.update;
    }
    return out;
  }
}

/**
 * Seeded stratified train/test split: every class keeps (up to rounding) the same share in both parts, which
 * matters for imbalanced labels such as stroke (about 5% positive), where a plain random split can leave the
 * test set with almost no positives. Pure and browser-safe.
 */
import { FlotillaError, type Rng } from '../core/index.js';

export interface IndexSplit {
  /** Row indices of each part, in shuffled order. */
  readonly train: Uint32Array;
  readonly test: Uint32Array;
}

/**
 * The test part holds exactly `round(n * testFraction)` rows, apportioned to classes by largest remainder so
 * each class contributes its proportional share.
 * @example
 * ```ts
 * const { train: trainRows, test: testRows } = stratifiedSplit(data.labels, 0.25, new Rng(1));
 * ```
 */
export function stratifiedSplit(labels: ArrayLike<number>, testFraction: number, rng: Rng): IndexSplit {
  if (!(testFraction >= 0 && testFraction < 1)) {
    throw new FlotillaError('INVALID_ARGUMENT', `testFraction must be in [0, 1), got ${testFraction}`);
  }
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    let rows = byClass.get(y);
    if (rows === undefined) byClass.set(y, (rows = []));
    rows.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const quotas = classes.map((y) => byClass.get(y)!.length * testFraction);
  const take = quotas.map(Math.floor);
  let missing = Math.round(labels.length * testFraction) - take.reduce((a, b) => a + b, 0);
  const byRemainder = classes
    .map((_, k) => k)
    .sort((a, b) => quotas[b]! - take[b]! - (quotas[a]! - take[a]!));
  for (const k of byRemainder) {
    if (missing <= 0) break;
    take[k]!++;
    missing--;
  }
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach((y, k) => {
    const rows = rng.shuffle(byClass.get(y)!);
    test.push(...rows.slice(0, take[k]));
    train.push(...rows.slice(take[k]));
  });
  return { train: Uint32Array.from(rng.shuffle(train)), test: Uint32Array.from(rng.shuffle(test)) };
}

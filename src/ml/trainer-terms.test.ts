import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../core/dataset.js';
import { ParameterSet } from '../core/parameters.js';
import type { FitConfig } from '../core/trainer.js';
import { initBackend } from './backend.js';
import { initialParameters } from './models.js';
import { SharedModel } from './shared-model.js';
import { TfjsTrainer } from './trainer.js';

// Full-batch SGD on a 3-feature, 3-class logistic regression: each step is w <- w - lr (g(w) + extra terms).
const data: Dataset = {
  name: 'terms',
  features: Float32Array.from([1, 0, 0, 1, 1, 1, 2, -1, 0.5]),
  labels: Int32Array.from([0, 1, 2]),
  featureShape: [3],
  numClasses: 3,
  size: 3,
};
const CONFIG: FitConfig = {
  round: 1,
  seed: 3,
  localEpochs: 1,
  batchSize: 3,
  learningRate: 0.5,
  optimizer: 'sgd',
  momentum: 0,
};
const dims = { inputShape: [3], numClasses: 3 };

/** Mean cross-entropy gradient and loss of W [3 x 3] row-major then b [3], in float64. */
function gradient(p: readonly number[]): { grad: number[]; loss: number } {
  const grad = new Array<number>(12).fill(0);
  let loss = 0;
  for (let r = 0; r < 3; r++) {
    const x = Array.from(data.features.subarray(r * 3, r * 3 + 3));
    const y = data.labels[r]!;
    const z = [0, 1, 2].map((j) => p[9 + j]! + x.reduce((s, xi, i) => s + xi * p[i * 3 + j]!, 0));
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    loss -= Math.log(e[y]! / sum) / 3;
    for (let j = 0; j < 3; j++) {
      const gz = (e[j]! / sum - (j === y ? 1 : 0)) / 3;
      for (let i = 0; i < 3; i++) grad[i * 3 + j]! += x[i]! * gz;
      grad[9 + j]! += gz;
    }
  }
  return { grad, loss };
}

describe('TfjsTrainer gradient terms', () => {
  let shared: SharedModel;
  let x0: ParameterSet;
  beforeAll(async () => {
    await initBackend('wasm');
    shared = SharedModel.create('logreg', { ...dims, seed: 4 });
    x0 = initialParameters('logreg', dims, 4);
  });

  it('FedProx adds mu (w - w_global) to every gradient', async () => {
    const mu = 0.7;
    const lr = CONFIG.learningRate;
    const out = await new TfjsTrainer(shared, data).fit(x0, { ...CONFIG, localEpochs: 2, proximalMu: mu });
    // Step 1: the proximal gradient is 0 at w = w_global. Step 2: it is mu (x1 - x0).
    const p0 = Array.from(x0.data);
    const p1 = p0.map((w, i) => w - lr * gradient(p0).grad[i]!);
    const g1 = gradient(p1).grad;
    const p2 = p1.map((w, i) => w - lr * (g1[i]! + mu * (w - p0[i]!)));
    const plain = gradient(p1).grad.map((g, i) => p1[i]! - lr * g);
    p2.forEach((w, i) => expect(out.params.data[i]).toBeCloseTo(w, 5));
    // The term changed the second step by a visible amount.
    expect(Math.max(...p2.map((w, i) => Math.abs(w - plain[i]!)))).toBeGreaterThan(1e-3);
    // The reported loss is the data loss of the epoch (before the second step), without the proximal term.
    expect(out.metrics.loss).toBeCloseTo(gradient(p1).loss, 5);
  });

  it('proximalMu 0 trains exactly like no proximal term', async () => {
    const a = await new TfjsTrainer(shared, data).fit(x0, { ...CONFIG, localEpochs: 3 });
    const b = await new TfjsTrainer(shared, data).fit(x0, { ...CONFIG, localEpochs: 3, proximalMu: 0 });
    expect(Array.from(b.params.data)).toEqual(Array.from(a.params.data));
  });

  it('SCAFFOLD: a gradient correction is added to every step', async () => {
    const correction = new ParameterSet(
      x0.layout,
      Float32Array.from({ length: 12 }, (_, i) => (i % 3) - 1),
    );
    const out = await new TfjsTrainer(shared, data).fit(x0, CONFIG, { gradientCorrection: correction });
    const g = gradient(Array.from(x0.data)).grad;
    x0.data.forEach((w, i) =>
      expect(out.params.data[i]).toBeCloseTo(w - CONFIG.learningRate * (g[i]! + correction.data[i]!), 5),
    );
  });

  it('reports the loss of the received parameters before training when asked', async () => {
    const out = await new TfjsTrainer(shared, data).fit(x0, { ...CONFIG, reportInitialLoss: true });
    expect(out.metrics['initialLoss']).toBeCloseTo(gradient(Array.from(x0.data)).loss, 5);
    const without = await new TfjsTrainer(shared, data).fit(x0, CONFIG);
    expect(without.metrics['initialLoss']).toBeUndefined();
  });

  it('rejects a negative proximalMu and a correction of another layout', async () => {
    await expect(new TfjsTrainer(shared, data).fit(x0, { ...CONFIG, proximalMu: -1 })).rejects.toThrow(
      /proximalMu/,
    );
    await expect(
      new TfjsTrainer(shared, data).fit(x0, { ...CONFIG, proximalMu: 0.1, exampleClipNorm: 1 }),
    ).rejects.toThrow(/DP-SGD/);
    const other = ParameterSet.fromTensors([{ name: 'w', shape: [1], values: new Float32Array(1) }]);
    await expect(
      new TfjsTrainer(shared, data).fit(x0, CONFIG, { gradientCorrection: other }),
    ).rejects.toThrow(/gradient correction/);
  });
});

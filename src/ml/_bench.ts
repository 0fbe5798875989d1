import * as tf from '@tensorflow/tfjs';
import { Rng } from '../core/rng.js';
import type { Dataset } from '../core/dataset.js';
import { initBackend, SharedModel, TfjsTrainer, initialParameters } from './index.js';

function randomData(n: number, shape: number[], classes: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const w = shape.reduce((a, b) => a * b, 1);
  const features = Float32Array.from({ length: n * w }, () => rng.next());
  const labels = Int32Array.from({ length: n }, () => rng.nextInt(classes));
  return { name: 'rand', features, labels, featureShape: shape, numClasses: classes, size: n };
}
const which = process.argv[2] as 'wasm' | 'cpu';
console.log('backend', await initBackend(which));
const cfg = {
  round: 1,
  seed: 1,
  localEpochs: 1,
  batchSize: 10,
  learningRate: 0.05,
  optimizer: 'sgd' as const,
  momentum: 0,
};
{
  const data = randomData(600, [28, 28, 1], 10, 1);
  const shared = SharedModel.create('mlp', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const tr = new TfjsTrainer(shared, data);
  const p0 = initialParameters('mlp', { inputShape: [28, 28, 1], numClasses: 10 }, 1);
  await tr.fit(p0, cfg);
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const out = await tr.fit(p0, { ...cfg, seed: i });
    times.push(performance.now() - t);
    if (i == 0) console.log(out.metrics, out.localSteps);
  }
  console.log('mlp epoch ms', times.map((t) => t.toFixed(0)).join(' '));
  const te = performance.now();
  const ev = await tr.evaluate(p0, { round: 1, batchSize: 100 });
  console.log('eval ms', (performance.now() - te).toFixed(0), ev);
}
{
  const n = Number(process.argv[3] ?? 50);
  const data = randomData(n, [28, 28, 1], 10, 1);
  const shared = SharedModel.create('cnn', { inputShape: [28, 28, 1], numClasses: 10, seed: 1 });
  const tr = new TfjsTrainer(shared, data);
  const p0 = shared.getParameters();
  await tr.fit(p0, { ...cfg });
  const t = performance.now();
  const out = await tr.fit(p0, { ...cfg });
  const dt = performance.now() - t;
  console.log('cnn per batch ms', (dt / out.localSteps).toFixed(1), out.metrics);
}
console.log('tensors', tf.memory().numTensors);

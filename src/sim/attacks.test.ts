import { describe, expect, it } from 'vitest';
import {
  ParameterSet,
  type EvaluateOutput,
  type FitConfig,
  type FitOutput,
  type Trainer,
} from '../core/index.js';
import type { TaskOutcome } from '../engine/index.js';
import { decodeMessage, encodeMessage, type FitResultMessage } from '../protocol/index.js';
import { InProcessPool, RuntimeClientHost } from '../transport/index.js';
import {
  AttackPool,
  alieZ,
  chooseAttackers,
  coordinateStats,
  flipLabels,
  inverseNormalCdf,
  type AttackConfig,
} from './attacks.js';

const layout = ParameterSet.fromTensors([{ name: 'w', shape: [2], values: new Float32Array(2) }]).layout;

/** A client whose update is always `delta`. */
class FixedTrainer implements Trainer {
  constructor(private readonly delta: readonly number[]) {}
  async fit(params: ParameterSet): Promise<FitOutput> {
    const out = params.clone();
    this.delta.forEach((d, i) => (out.data[i] = out.data[i]! + d));
    return { params: out, numExamples: 5, localSteps: 1, metrics: {} };
  }
  async evaluate(): Promise<EvaluateOutput> {
    return { loss: 0, numExamples: 1, metrics: {} };
  }
}

// Honest clients h0..h2 with updates (1, 2), (3, 2), (2, 5); the attacker a0 would honestly send (4, 4).
const DELTAS: Record<string, number[]> = { h0: [1, 2], h1: [3, 2], h2: [2, 5], a0: [4, 4] };
const config: FitConfig = {
  round: 1,
  seed: 1,
  localEpochs: 1,
  batchSize: 1,
  learningRate: 0.1,
  optimizer: 'sgd',
  momentum: 0,
};

async function updatesUnder(attack: AttackConfig): Promise<Record<string, number[]>> {
  const host = new RuntimeClientHost(
    Object.entries(DELTAS).map(([id, d]) => ({ descriptor: { id }, trainer: new FixedTrainer(d) })),
  );
  const pool = new AttackPool(new InProcessPool(host), attack, ['a0'], 9);
  const tasks = Object.keys(DELTAS).map((clientId, i) => ({
    clientId,
    taskId: `1.1.${i}`,
    frame: encodeMessage({
      type: 'fit-task',
      round: 1,
      taskId: `1.1.${i}`,
      config,
      params: new ParameterSet(layout),
    }),
  }));
  const outcomes: TaskOutcome[] = [];
  for await (const o of pool.dispatch(tasks, { deadline: Date.now() + 10_000 })) outcomes.push(o);
  expect(outcomes.map((o) => o.taskId)).toEqual(tasks.map((t) => t.taskId)); // task order kept
  const out: Record<string, number[]> = {};
  for (const o of outcomes) {
    if (o.kind !== 'reply') throw new Error(`task ${o.taskId} failed`);
    out[o.clientId] = Array.from((decodeMessage(o.frame) as FitResultMessage).update.data);
  }
  await pool.close();
  return out;
}

describe('attack suite', () => {
  it('leaves honest clients alone and rewrites the attacker per attack', async () => {
    const signFlip = await updatesUnder({ name: 'sign-flip', fraction: 0.25 });
    expect(signFlip['h1']).toEqual([3, 2]);
    expect(signFlip['a0']).toEqual([-4, -4]);
    expect((await updatesUnder({ name: 'scale', fraction: 0.25, scale: -3 }))['a0']).toEqual([-12, -12]);
    // Benign mean (2, 3); population std (sqrt(2/3), sqrt(2)).
    const ipm = await updatesUnder({ name: 'ipm', fraction: 0.25, ipmEpsilon: 0.5 });
    expect(ipm['a0']).toEqual([-1, -1.5]);
    const alie = (await updatesUnder({ name: 'alie', fraction: 0.25, alieZ: 1 }))['a0']!;
    expect(alie[0]).toBeCloseTo(2 - Math.sqrt(2 / 3), 5);
    expect(alie[1]).toBeCloseTo(3 - Math.SQRT2, 5);
    const noise = (await updatesUnder({ name: 'gaussian', fraction: 0.25, noiseStd: 1 }))['a0']!;
    expect(noise).not.toEqual([4, 4]);
    expect((await updatesUnder({ name: 'gaussian', fraction: 0.25, noiseStd: 1 }))['a0']).toEqual(noise);
    // Label flipping happens in training, so the pool forwards the reply untouched.
    expect((await updatesUnder({ name: 'label-flip', fraction: 0.25 }))['a0']).toEqual([4, 4]);
  });

  it('chooses round(fraction * n) attackers by seed', () => {
    const ids = Array.from({ length: 10 }, (_, i) => `client-${i}`);
    const a = chooseAttackers(ids, 0.2, 5);
    expect(a).toHaveLength(2);
    expect(chooseAttackers([...ids].reverse(), 0.2, 5)).toEqual(a);
    expect(chooseAttackers(ids, 0.3, 5)).toHaveLength(3);
    expect(() => chooseAttackers(ids, 1, 5)).toThrow(/attackers/);
  });

  it('computes ALIE z as in Baruch et al. and flips labels to K - 1 - y', () => {
    expect(inverseNormalCdf(0.975)).toBeCloseTo(1.959964, 5);
    expect(inverseNormalCdf(0.01)).toBeCloseTo(-2.326348, 5);
    // n = 50, m = 12: s = 26 - 12 = 14, z = Phi^-1(36 / 50)
    expect(alieZ(50, 12)).toBeCloseTo(inverseNormalCdf(36 / 50), 10);
    const stats = coordinateStats([
      new ParameterSet(layout, Float32Array.from([1, 0])),
      new ParameterSet(layout, Float32Array.from([3, 0])),
    ]);
    expect(Array.from(stats.mean)).toEqual([2, 0]);
    expect(Array.from(stats.std)).toEqual([1, 0]);
    const data = {
      name: 'd',
      features: new Float32Array(3),
      labels: Int32Array.from([0, 1, 2]),
      featureShape: [1],
      numClasses: 3,
      size: 3,
    };
    expect(Array.from(flipLabels(data).labels)).toEqual([2, 1, 0]);
  });
});

/** Test support: encoded fit tasks for the synthetic clients, as the engine would send them. */
import { ParameterSet } from '../../core/index.js';
import type { TaskEnvelope } from '../../engine/pool.js';
import { encodeMessage } from '../../protocol/index.js';
import { softmaxLayout } from './softmax-trainer.js';
import type { SyntheticHostInit } from './synthetic-host.js';

export function fitTasks(init: SyntheticHostInit, clientIds: readonly string[]): TaskEnvelope[] {
  const params = ParameterSet.zeros(softmaxLayout(init.features, init.classes));
  return clientIds.map((clientId, i) => {
    const taskId = `1.1.${i}`;
    const config = {
      round: 1,
      seed: i,
      localEpochs: 1,
      batchSize: 8,
      learningRate: 0.1,
      optimizer: 'sgd' as const,
      momentum: 0,
    };
    return { clientId, taskId, frame: encodeMessage({ type: 'fit-task', round: 1, taskId, config, params }) };
  });
}

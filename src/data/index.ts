/**
 * Public API of src/data. Browser-safe modules: idx, image-dataset, image-idx, csv, tabular-schema, tabular, split,
 * stroke, stroke-cohort, partition, partition-stats. Node-only (they read files or CommonJS packages): files, mnist,
 * fashion-mnist, csv-files.
 */
export { encodeIdxUint8, parseIdx, type IdxArray, type IdxDtype, type IdxValues } from './idx.js';
export { idxToImageDataset, type ImageDatasetOptions } from './image-dataset.js';
export {
  clientImageData,
  gunzipIfCompressed,
  idxKind,
  pairIdxFiles,
  type ClientImageOptions,
  type IdxKind,
  type ImageIdxPair,
  type NamedBytes,
} from './image-idx.js';
export { loadMnist, type MnistOptions } from './mnist.js';
export {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIR,
  loadFashionMnist,
  type FashionMnistOptions,
} from './fashion-mnist.js';
export { stratifiedSplit, type IndexSplit } from './split.js';
export {
  formatCsv,
  formatCsvField,
  parseCsv,
  parseCsvRecords,
  type CsvOptions,
  type CsvRecord,
  type CsvTable,
} from './csv.js';
export {
  DEFAULT_MISSING_VALUES,
  encodedWidth,
  type CategoricalColumn,
  type ColumnSpec,
  type IgnoredColumn,
  type MalformedRowPolicy,
  type NumericColumn,
  type RowIssue,
  type TabularSchema,
} from './tabular-schema.js';
export {
  MISSING_CATEGORY,
  applyTabularCsv,
  DecodedTabular,
  loadTabularCsv,
  type FittedCategorical,
  type FittedColumn,
  type FittedNumeric,
  type TabularDataset,
  type TabularLoadOptions,
  type TabularPreprocessing,
  type TabularReadOptions,
  type TabularSplit,
} from './tabular.js';
export { readDataFile, readTextFile } from './files.js';
export {
  applyTabularCsvFile,
  loadStrokeCsv,
  loadTabularCsvFile,
  readTabularPreprocessingFile,
  writeStrokeCsv,
  writeTabularPreprocessingFile,
} from './csv-files.js';
export { parseTabularPreprocessing, tabularSchemaJsonSchema, tabularSchemaSpec } from './tabular-json.js';
export {
  GENDERS,
  RESIDENCE_TYPES,
  SMOKING_STATUSES,
  STROKE_COLUMNS,
  STROKE_SCHEMA,
  WORK_TYPES,
  parseStrokeCsv,
  strokeRecordsToCsv,
  type StrokeRecord,
} from './stroke.js';
export {
  STROKE_PROFILES,
  generateStrokeCohort,
  strokeLogOdds,
  type StrokeCohortOptions,
  type StrokeProfile,
  type StrokeProfileName,
} from './stroke-cohort.js';
export {
  attributePartition,
  dirichletPartition,
  iidPartition,
  partition,
  pathologicalPartition,
  sizeSkewPartition,
  type AttributeOptions,
  type DirichletOptions,
  type IidOptions,
  type PartitionSpec,
  type PathologicalOptions,
  type SizeSkewOptions,
} from './partition.js';
export {
  describePartitions,
  type ClientPartitionStats,
  type PartitionDescription,
  type PartitionSummary,
} from './partition-stats.js';

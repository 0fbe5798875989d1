/**
 * `flotilla/data`: datasets as the trainers take them (`Dataset`), their loaders, tabular schemas and the
 * partitioners that split data among simulated clients.
 *
 * @module flotilla/data
 */
export { featureSize, subsetDataset, type Dataset, type TrainTestSplit } from '../core/index.js';
export {
  STROKE_SCHEMA,
  applyTabularCsvFile,
  describePartitions,
  generateStrokeCohort,
  loadFashionMnist,
  loadMnist,
  loadStrokeCsv,
  loadTabularCsvFile,
  partition,
  stratifiedSplit,
  strokeRecordsToCsv,
  type CategoricalColumn,
  type ColumnSpec,
  type FashionMnistOptions,
  type IgnoredColumn,
  type MnistOptions,
  type NumericColumn,
  type PartitionDescription,
  type PartitionSpec,
  type TabularPreprocessing,
  type TabularSchema,
  type TabularSplit,
} from '../data/index.js';

/**
 * Statistics of a partition for the run history and reports: per-client sizes and label histograms, and summary
 * numbers for how unequal the sizes are and how far each client's labels are from the global mix. Label skew is
 * the total-variation distance TV(p_client, p_global) = 1/2 sum_c |p_client(c) - p_global(c)|: 0 for a client
 * that mirrors the whole dataset, close to 1 for a client holding one rare label. Plain JSON. Pure and
 * browser-safe.
 */
import { FlotillaError } from '../core/index.js';

export interface ClientPartitionStats {
  readonly client: number;
  readonly size: number;
  /** Rows per class, index = class. */
  readonly labelCounts: number[];
  /** Number of classes present. */
  readonly numLabels: number;
  /** Total-variation distance from the global label distribution; null for an empty client. */
  readonly labelTv: number | null;
}

export interface PartitionSummary {
  readonly numClients: number;
  readonly numExamples: number;
  /** Rows given to some client (the rest are left out, e.g. by an attribute partition). */
  readonly assigned: number;
  readonly minSize: number;
  readonly meanSize: number;
  readonly maxSize: number;
  /** Population standard deviation of client sizes. */
  readonly sizeStd: number;
  readonly meanLabelsPerClient: number;
  /** Mean and max of labelTv over non-empty clients. */
  readonly meanLabelTv: number;
  readonly maxLabelTv: number;
}

/**
 * How data was split among clients: each client's size and label distribution, and a summary of the skew.
 * @example
 * ```ts
 * const report = await simulate({ settings: { partition: 'dirichlet', alpha: 0.3 } });
 * console.log(report.partitions.summary.meanLabelTv);
 * ```
 */
export interface PartitionDescription {
  readonly clients: ClientPartitionStats[];
  readonly summary: PartitionSummary;
}

/**
 * Describes a partition; the global distribution is that of all `labels`. Overlapping or bad indices are errors.
 * @example
 * ```ts
 * const stats = describePartitions(train.labels, parts, train.numClasses);
 * ```
 */
export function describePartitions(
  labels: Int32Array,
  partitions: readonly ArrayLike<number>[],
  numClasses: number,
): PartitionDescription {
  if (partitions.length === 0) throw new FlotillaError('INVALID_ARGUMENT', 'no partitions to describe');
  const global = new Array<number>(numClasses).fill(0);
  for (const y of labels) {
    if (y < 0 || y >= numClasses) {
      throw new FlotillaError('INVALID_ARGUMENT', `label ${y} is outside [0, ${numClasses})`);
    }
    global[y]!++;
  }
  const owner = new Int32Array(labels.length).fill(-1);
  const clients = partitions.map((rows, client): ClientPartitionStats => {
    const labelCounts = new Array<number>(numClasses).fill(0);
    for (let k = 0; k < rows.length; k++) {
      const row = rows[k]!;
      if (!Number.isInteger(row) || row < 0 || row >= labels.length) {
        throw new FlotillaError(
          'INVALID_ARGUMENT',
          `client ${client} holds row ${row}, outside [0, ${labels.length})`,
        );
      }
      if (owner[row] !== -1) {
        throw new FlotillaError(
          'INVALID_ARGUMENT',
          `row ${row} is given to both client ${owner[row]} and ${client}`,
        );
      }
      owner[row] = client;
      labelCounts[labels[row]!]!++;
    }
    const size = rows.length;
    const labelTv =
      size === 0
        ? null
        : labelCounts.reduce((a, count, c) => a + Math.abs(count / size - global[c]! / labels.length), 0) / 2;
    return { client, size, labelCounts, numLabels: labelCounts.filter((c) => c > 0).length, labelTv };
  });
  const sizes = clients.map((c) => c.size);
  const assigned = sizes.reduce((a, b) => a + b, 0);
  const meanSize = assigned / clients.length;
  const tvs = clients.flatMap((c) => (c.labelTv === null ? [] : [c.labelTv]));
  return {
    clients,
    summary: {
      numClients: clients.length,
      numExamples: labels.length,
      assigned,
      minSize: Math.min(...sizes),
      meanSize,
      maxSize: Math.max(...sizes),
      sizeStd: Math.sqrt(sizes.reduce((a, s) => a + (s - meanSize) ** 2, 0) / sizes.length),
      meanLabelsPerClient: clients.reduce((a, c) => a + c.numLabels, 0) / clients.length,
      meanLabelTv: tvs.length === 0 ? 0 : tvs.reduce((a, b) => a + b, 0) / tvs.length,
      maxLabelTv: tvs.length === 0 ? 0 : Math.max(...tvs),
    },
  };
}

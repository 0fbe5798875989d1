/**
 * Partitioners: how a dataset's rows are spread over federated clients. Each takes the label of every row, the
 * number of clients, its options and a seeded Rng, and returns one list of row indices per client (sorted
 * ascending; every row in at most one list). Impossible requests (more clients than rows, a minimum size that
 * cannot be met) are INVALID_ARGUMENT errors saying what to change. Pure and browser-safe.
 */
import { FlotillaError, type Rng } from '../core/index.js';

export type IidOptions = Record<string, never>;

export interface DirichletOptions {
  /** Concentration: small (0.1) gives each client few labels, large (100) approaches IID. */
  readonly alpha: number;
  /** Every client gets at least this many rows (default 10); draws are repeated until that holds. */
  readonly minPartitionSize?: number;
  /** How many draws to try before giving up (default 100). */
  readonly maxAttempts?: number;
}

export interface PathologicalOptions {
  /** Shards per client (default 2, as in McMahan et al. 2017). */
  readonly shardsPerClient?: number;
}

export interface SizeSkewOptions {
  /** Client k's share of the rows above the minimum is proportional to k^-exponent (default 1, Zipf). */
  readonly exponent?: number;
  /** Every client gets at least this many rows (default 10). */
  readonly minPartitionSize?: number;
}

export interface AttributeOptions {
  /** A group key per row (a hospital profile, an age band...), aligned with `labels`. */
  readonly groups: ArrayLike<string | number>;
  /**
   * The group of each client, in client order; a group listed for several clients is split evenly among them, and
   * rows of unlisted groups are left out. Default: the distinct keys, sorted, one client each.
   */
  readonly clientGroups?: readonly (string | number)[];
}

/**
 * Which partitioner splits the data among clients, and its parameters (the `partition` setting).
 * @example
 * ```ts
 * const spec: PartitionSpec = { kind: 'dirichlet', alpha: 0.5, minPartitionSize: 10 };
 * ```
 */
export type PartitionSpec =
  | { readonly kind: 'iid' }
  | ({ readonly kind: 'dirichlet' } & DirichletOptions)
  | ({ readonly kind: 'pathological' } & PathologicalOptions)
  | ({ readonly kind: 'size-skew' } & SizeSkewOptions)
  | ({ readonly kind: 'attribute' } & AttributeOptions);

/**
 * Runs the partitioner named by `spec.kind` (the form used in configuration files).
 * @example
 * ```ts
 * const parts = partition(train.labels, 10, { kind: 'dirichlet', alpha: 0.5, minPartitionSize: 10 }, new Rng(1));
 * const clientData = parts.map((rows) => subsetDataset(train, rows));
 * ```
 */
export function partition(
  labels: Int32Array,
  numClients: number,
  spec: PartitionSpec,
  rng: Rng,
): Uint32Array[] {
  switch (spec.kind) {
    case 'iid':
      return iidPartition(labels, numClients, {}, rng);
    case 'dirichlet':
      return dirichletPartition(labels, numClients, spec, rng);
    case 'pathological':
      return pathologicalPartition(labels, numClients, spec, rng);
    case 'size-skew':
      return sizeSkewPartition(labels, numClients, spec, rng);
    case 'attribute':
      return attributePartition(labels, numClients, spec, rng);
  }
}

/** Shuffles the rows and deals them out in equal parts (sizes differ by at most one). */
export function iidPartition(
  labels: Int32Array,
  numClients: number,
  _options: IidOptions,
  rng: Rng,
): Uint32Array[] {
  checkClients(labels.length, numClients, 1);
  const order = shuffled(labels.length, rng);
  return cut(order, evenSizes(labels.length, numClients));
}

/**
 * Per-class Dirichlet allocation (Yurochkin et al. 2019; Hsu et al. 2019; the NIID-Bench form of Li et al. 2022):
 * for each class, proportions p ~ Dir(alpha) over clients decide which share of that class each client gets.
 * As in NIID-Bench, a client that already holds its fair share (n / clients) takes no more, which keeps sizes
 * from running away at small alpha without changing the label skew much.
 */
export function dirichletPartition(
  labels: Int32Array,
  numClients: number,
  options: DirichletOptions,
  rng: Rng,
): Uint32Array[] {
  const { alpha } = options;
  const minSize = options.minPartitionSize ?? 10;
  const maxAttempts = options.maxAttempts ?? 100;
  if (!(alpha > 0 && Number.isFinite(alpha))) {
    throw new FlotillaError('INVALID_ARGUMENT', `dirichlet alpha must be a positive number, got ${alpha}`);
  }
  positiveInteger('maxAttempts', maxAttempts);
  checkClients(labels.length, numClients, minSize);
  const n = labels.length;
  const fairShare = n / numClients;
  const classes = rowsByClass(labels);
  let smallest = 0;
  for (let attempt = 0; attempt < maxAttempts; attempt++) {
    const clients: number[][] = Array.from({ length: numClients }, () => []);
    for (const rows of classes) {
      const order = rng.shuffle([...rows]);
      const p = rng.dirichlet(alpha, numClients).map((q, j) => (clients[j]!.length < fairShare ? q : 0));
      let total = p.reduce((a, b) => a + b, 0);
      if (total === 0) {
        // Every draw landed on full clients: spread this class over the clients still below their share.
        p.forEach((_, j) => (p[j] = clients[j]!.length < fairShare ? 1 : 0));
        total = p.reduce((a, b) => a + b, 0);
      }
      let start = 0;
      let cumulative = 0;
      for (let j = 0; j < numClients; j++) {
        cumulative += p[j]!;
        const end = j === numClients - 1 ? order.length : Math.floor((cumulative / total) * order.length);
        for (let r = start; r < end; r++) clients[j]!.push(order[r]!);
        start = Math.max(start, end);
      }
    }
    smallest = Math.min(...clients.map((c) => c.length));
    if (smallest >= minSize) return clients.map(sortedIndices);
  }
  throw new FlotillaError(
    'INVALID_ARGUMENT',
    `dirichlet partition (alpha ${alpha}) of ${n} rows over ${numClients} clients: after ${maxAttempts} draws the ` +
      `smallest client still had ${smallest} rows, below minPartitionSize ${minSize}; raise alpha, lower ` +
      `minPartitionSize or use fewer clients`,
    { alpha, minPartitionSize: minSize, numClients, smallest },
  );
}

/**
 * McMahan et al. (2017): sort the rows by label, cut them into shardsPerClient x numClients shards and give each
 * client shardsPerClient random shards. Unlike cutting the sorted list into equal pieces, shards here never
 * straddle two labels: each class is cut into a number of shards proportional to its size (D'Hondt
 * apportionment, at least one per class), so a client holds at most shardsPerClient labels. With fewer shards
 * than classes that is impossible, and shards are then equal cuts of the label-sorted rows.
 */
export function pathologicalPartition(
  labels: Int32Array,
  numClients: number,
  options: PathologicalOptions,
  rng: Rng,
): Uint32Array[] {
  const perClient = options.shardsPerClient ?? 2;
  positiveInteger('shardsPerClient', perClient);
  checkClients(labels.length, numClients, 1);
  const numShards = perClient * numClients;
  if (numShards > labels.length) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `pathological partition needs ${numShards} shards (${perClient} per client x ${numClients} clients) but there ` +
        `are only ${labels.length} rows; use fewer clients or fewer shards per client`,
    );
  }
  const classes = rowsByClass(labels).map((rows) => rng.shuffle([...rows]));
  const shards: Uint32Array[] = [];
  if (numShards >= classes.length) {
    const counts = classes.map(() => 1);
    for (let s = classes.length; s < numShards; s++) {
      let best = 0;
      for (let c = 1; c < classes.length; c++) {
        if (classes[c]!.length / counts[c]! > classes[best]!.length / counts[best]!) best = c;
      }
      counts[best]!++;
    }
    classes.forEach((rows, c) => shards.push(...cut(rows, evenSizes(rows.length, counts[c]!))));
  } else {
    shards.push(...cut(classes.flat(), evenSizes(labels.length, numShards)));
  }
  rng.shuffle(shards);
  return Array.from({ length: numClients }, (_, i) =>
    sortedIndices(shards.slice(i * perClient, (i + 1) * perClient).flatMap((shard) => Array.from(shard))),
  );
}

/**
 * Client sizes from a power law with IID labels: after everyone gets minPartitionSize rows, the rest is shared in
 * proportion to rank^-exponent, with ranks assigned to clients at random.
 */
export function sizeSkewPartition(
  labels: Int32Array,
  numClients: number,
  options: SizeSkewOptions,
  rng: Rng,
): Uint32Array[] {
  const exponent = options.exponent ?? 1;
  const minSize = options.minPartitionSize ?? 10;
  if (!(exponent >= 0 && Number.isFinite(exponent))) {
    throw new FlotillaError('INVALID_ARGUMENT', `size-skew exponent must be a number >= 0, got ${exponent}`);
  }
  checkClients(labels.length, numClients, minSize);
  const weights = rng.shuffle(Array.from({ length: numClients }, (_, r) => (r + 1) ** -exponent));
  const extra = labels.length - minSize * numClients;
  const sizes = apportion(extra, weights).map((s) => s + minSize);
  return cut(shuffled(labels.length, rng), sizes);
}

/** One client per group key (or several sharing a group), each holding that group's rows. */
export function attributePartition(
  labels: Int32Array,
  numClients: number,
  options: AttributeOptions,
  rng: Rng,
): Uint32Array[] {
  const { groups } = options;
  if (groups.length !== labels.length) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `attribute partition: ${groups.length} group keys for ${labels.length} rows`,
    );
  }
  positiveInteger('numClients', numClients);
  const rowsOf = new Map<string | number, number[]>();
  for (let i = 0; i < groups.length; i++) {
    const key = groups[i]!;
    let rows = rowsOf.get(key);
    if (rows === undefined) rowsOf.set(key, (rows = []));
    rows.push(i);
  }
  const clientGroups = options.clientGroups ?? [...rowsOf.keys()].sort(compareKeys);
  if (clientGroups.length !== numClients) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `attribute partition: ${numClients} clients but ${clientGroups.length} groups ` +
        `(${clientGroups.map(String).join(', ')}); pass clientGroups to map groups to clients`,
    );
  }
  const result: Uint32Array[] = new Array<Uint32Array>(numClients);
  for (const key of new Set(clientGroups)) {
    const clients = clientGroups.flatMap((g, i) => (g === key ? [i] : []));
    const rows = rowsOf.get(key) ?? [];
    if (rows.length < clients.length) {
      throw new FlotillaError(
        'INVALID_ARGUMENT',
        `attribute partition: group "${key}" has ${rows.length} rows for ${clients.length} clients`,
      );
    }
    cut(rng.shuffle(rows), evenSizes(rows.length, clients.length)).forEach((part, k) => {
      result[clients[k]!] = part;
    });
  }
  return result;
}

function positiveInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new FlotillaError('INVALID_ARGUMENT', `${name} must be a positive integer, got ${value}`);
  }
}

function checkClients(numRows: number, numClients: number, minSize: number): void {
  positiveInteger('numClients', numClients);
  if (!Number.isSafeInteger(minSize) || minSize < 0) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `minPartitionSize must be a non-negative integer, got ${minSize}`,
    );
  }
  const needed = numClients * Math.max(1, minSize);
  if (needed > numRows) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `cannot give ${numClients} clients at least ${Math.max(1, minSize)} rows each from ${numRows} rows`,
      { numRows, numClients, minPartitionSize: minSize },
    );
  }
}

/** Row indices of each class present, classes in ascending order. */
function rowsByClass(labels: Int32Array): number[][] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    let rows = byClass.get(y);
    if (rows === undefined) byClass.set(y, (rows = []));
    rows.push(i);
  }
  return [...byClass.entries()].sort((a, b) => a[0] - b[0]).map(([, rows]) => rows);
}

function shuffled(n: number, rng: Rng): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  rng.shuffleIndices(order);
  return order;
}

/** `parts` sizes summing to n that differ by at most one. */
function evenSizes(n: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(n / parts) + (i < n % parts ? 1 : 0));
}

/** Integer shares of `total` proportional to `weights` (largest remainder). */
function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const quotas = weights.map((w) => (total * w) / sum);
  const sizes = quotas.map(Math.floor);
  let left = total - sizes.reduce((a, b) => a + b, 0);
  const order = quotas.map((_, i) => i).sort((a, b) => quotas[b]! - sizes[b]! - (quotas[a]! - sizes[a]!));
  for (const i of order) {
    if (left-- <= 0) break;
    sizes[i]!++;
  }
  return sizes;
}

/** Consecutive pieces of `order` with the given sizes, each sorted ascending. */
function cut(order: ArrayLike<number>, sizes: readonly number[]): Uint32Array[] {
  let start = 0;
  return sizes.map((size) => {
    const piece = Uint32Array.from({ length: size }, (_, k) => order[start + k]!).sort();
    start += size;
    return piece;
  });
}

function sortedIndices(rows: readonly number[]): Uint32Array {
  return Uint32Array.from(rows).sort();
}

function compareKeys(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

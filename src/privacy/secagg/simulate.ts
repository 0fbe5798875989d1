/**
 * An end-to-end run of one secure-aggregation round in this process: n clients and the server exchange the encoded
 * messages the real protocol exchanges (so byte counts are real), with chosen clients going silent at chosen stages.
 * It exists for tests, benchmarks and planning; the engine runs the same SecAggClient / SecAggServer through its pool.
 */
import { FlotillaError, Rng, require as ensure } from '../../core/index.js';
import { SecAggClient } from './client.js';
import { resolveRoundParams, type SecAggConfig } from './config.js';
import { generateEd25519, randomBytes } from './crypto.js';
import { STAGE_NAMES, type Stage } from './messages.js';
import { SecAggServer, type Rejection, type StageOutcome } from './server.js';

export interface SimulationOptions {
  /** One update per client (d values each). The same array may be passed for several clients. */
  readonly updates: readonly Float32Array[];
  /** Example counts; a client's weight is its count capped at maxWeight. */
  readonly weights: readonly number[];
  readonly config?: SecAggConfig;
  /** Clients that go silent at a stage: they send nothing from that stage on. */
  readonly dropouts?: Partial<Record<Stage, readonly number[]>>;
  /** Give every client an Ed25519 identity and require as ensure signed keys. Default false. */
  readonly identities?: boolean;
  /** Seeds the clients' stochastic rounding. Default 1. */
  readonly seed?: number;
  /** Public seed of the masking graph. Default: random. */
  readonly graphSeed?: Uint8Array;
  readonly session?: string;
  readonly round?: number;
}

export interface StageReport {
  readonly stage: Stage;
  readonly name: string;
  /** Clients whose message for this stage the server accepted. */
  readonly survivors: number;
  /** Bytes of the server's messages that opened this stage, summed over recipients, and per recipient. */
  readonly downloadBytes: number;
  readonly downloadBytesPerClient: number;
  /** Bytes of the clients' messages in this stage, summed over senders, and per sender. */
  readonly uploadBytes: number;
  readonly uploadBytesPerClient: number;
  /** Mean time one client spent producing its message. */
  readonly clientMsPerClient: number;
  /** Server time: taking the stage's messages and closing the stage. */
  readonly serverMs: number;
}

interface Common {
  readonly stages: readonly StageReport[];
  readonly rejections: readonly Rejection[];
  /** Client-side refusals and rejections (a client that stops answering), by client. */
  readonly clientErrors: readonly { readonly client: number; readonly message: string }[];
  /** Effective neighbours k and threshold t of the round. */
  readonly neighbours: number;
  readonly threshold: number;
}

export type SimulationResult =
  | (Common & {
      readonly status: 'completed';
      readonly weightedSum: Float32Array;
      readonly weightTotal: number;
      /** weightedSum / weightTotal. */
      readonly mean: Float32Array;
      readonly included: readonly number[];
    })
  | (Common & { readonly status: 'aborted'; readonly stage: Stage; readonly reason: string });

export async function runSecureAggregation(options: SimulationOptions): Promise<SimulationResult> {
  const { updates, weights } = options;
  const n = updates.length;
  ensure(weights.length === n, `${n} updates but ${weights.length} weights`);
  ensure(n >= 2, `secure aggregation needs at least 2 clients, got ${n}`);
  const params = resolveRoundParams(options.config ?? {}, {
    session: options.session ?? 'simulation',
    round: options.round ?? 1,
    n,
    dimension: updates[0]!.length,
    graphSeed: options.graphSeed ?? randomBytes(32),
  });
  const silentFrom = new Map<number, Stage>();
  for (const [stage, ids] of Object.entries(options.dropouts ?? {}) as [string, readonly number[]][]) {
    for (const id of ids) {
      ensure(Number.isSafeInteger(id) && id >= 0 && id < n, `dropout client ${id} is not in [0, ${n})`);
      silentFrom.set(id, Math.min(silentFrom.get(id) ?? 3, Number(stage)) as Stage);
    }
  }
  const speaks = (client: number, stage: Stage): boolean => (silentFrom.get(client) ?? 4) > stage;

  const identityPairs = options.identities
    ? await Promise.all(updates.map(() => generateEd25519()))
    : undefined;
  const identities = identityPairs?.map((p) => p.publicKey);
  const rng = new Rng(options.seed ?? 1);
  const clients = updates.map(
    (update, index) =>
      new SecAggClient({
        params,
        index,
        update,
        numExamples: weights[index]!,
        rng: rng.split('secagg-client', index),
        identityKey: identityPairs?.[index]!.privateKey,
        identities,
      }),
  );
  const server = new SecAggServer({ params, identities });
  const stages: StageReport[] = [];
  const clientErrors: { client: number; message: string }[] = [];

  let inbound: ReadonlyMap<number, Uint8Array> = new Map();
  for (let stage = 0 as Stage; ; stage = (stage + 1) as Stage) {
    let download = 0;
    let recipients = 0;
    let upload = 0;
    let senders = 0;
    let clientMs = 0;
    let ran = 0;
    let serverMs = 0;
    const participants = stage === 0 ? clients.map((c) => c.index) : [...inbound.keys()];
    for (const u of participants) {
      if (!speaks(u, stage)) continue;
      const incoming = inbound.get(u);
      if (incoming) {
        download += incoming.length;
        recipients++;
      }
      let reply: Uint8Array;
      ran++;
      const started = performance.now();
      try {
        reply = incoming ? await clients[u]!.handle(incoming) : await clients[u]!.advertise();
      } catch (error) {
        if (!(error instanceof FlotillaError)) throw error;
        clientErrors.push({ client: u, message: error.message });
        continue;
      } finally {
        clientMs += performance.now() - started;
      }
      upload += reply.length;
      senders++;
      const received = performance.now();
      await server.receive(u, reply);
      serverMs += performance.now() - received;
    }
    const closing = performance.now();
    const outcome: StageOutcome = await server.closeStage();
    serverMs += performance.now() - closing;
    stages.push({
      stage,
      name: STAGE_NAMES[stage],
      survivors: server.survivors(stage).length,
      downloadBytes: download,
      downloadBytesPerClient: recipients > 0 ? download / recipients : 0,
      uploadBytes: upload,
      uploadBytesPerClient: senders > 0 ? upload / senders : 0,
      clientMsPerClient: ran > 0 ? clientMs / ran : 0,
      serverMs,
    });
    const common = {
      stages,
      rejections: server.rejections,
      clientErrors,
      neighbours: params.neighbours,
      threshold: params.threshold,
    };
    if (outcome.kind === 'aborted') {
      return { ...common, status: 'aborted', stage: outcome.stage, reason: outcome.reason };
    }
    if (outcome.kind === 'completed') {
      const { weightedSum, weightTotal, included } = outcome.result;
      const mean = weightedSum.map((v) => (weightTotal > 0 ? v / weightTotal : 0));
      return { ...common, status: 'completed', weightedSum, weightTotal, mean, included };
    }
    inbound = outcome.messages;
  }
}

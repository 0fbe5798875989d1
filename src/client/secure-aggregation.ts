/**
 * The client's half of a SecAgg+ round inside the engine's protocol. A fit task that carries `secureAggregation`
 * makes the client train as usual and then, instead of sending its update, start a SecAggClient on it and answer
 * with its stage-0 key advertisement; the server's stage tasks (key directory, forwarded shares, unmask request)
 * are then answered by the same SecAggClient until the round ends.
 *
 * The client does not take the server's word for the round's parameters: it re-derives them with the same checks the
 * server ran (threshold above half of every group, a modulus that holds the sum) and refuses a task whose values
 * differ, since a low threshold or a small group would let the server recover one client's masks.
 */
import { FlotillaError, Rng, fromHex, type ParameterSet, type SecureAggregationTask } from '../core/index.js';
// The client-side SecAgg+ modules only: the secagg barrel also carries the server and the simulation harness.
import { SecAggClient } from '../privacy/secagg/client.js';
import { resolveRoundParams, type SecAggRoundParams } from '../privacy/secagg/config.js';

/** The round's SecAgg+ parameters as this client computes them, or SECAGG_REFUSED when the task's differ. */
export function verifiedRoundParams(
  task: SecureAggregationTask,
  round: number,
  dimension: number,
): SecAggRoundParams {
  let params: SecAggRoundParams;
  try {
    params = resolveRoundParams(
      {
        neighbours: task.neighbours,
        threshold: task.threshold,
        clippingRange: task.clippingRange,
        quantizationBits: task.quantizationBits,
        modulusBits: task.modulusBits,
        maxWeight: task.maxWeight,
      },
      { session: task.session, round, n: task.n, dimension, graphSeed: fromHex(task.graphSeed) },
    );
  } catch (error) {
    throw new FlotillaError('SECAGG_REFUSED', `unsafe secure-aggregation task: ${(error as Error).message}`);
  }
  if (params.neighbours !== task.neighbours || task.index >= task.n) {
    throw new FlotillaError(
      'SECAGG_REFUSED',
      `inconsistent secure-aggregation task: ${task.neighbours} neighbours for n = ${task.n} ` +
        `(a valid graph has ${params.neighbours}), index ${task.index}`,
    );
  }
  return params;
}

/**
 * This client's identity for signed SecAgg+ rounds: its Ed25519 key, and the roster of every client's public key,
 * which comes from the federation's operators, not from the server: a server that substitutes keys is caught.
 */
export interface ClientIdentity {
  readonly id: string;
  readonly privateKey: CryptoKey;
  readonly roster: ReadonlyMap<string, Uint8Array>;
}

/** The round's identity keys by index, from this client's roster; refuses a round it cannot verify. */
function rosterKeys(
  task: SecureAggregationTask,
  identity: ClientIdentity | undefined,
): Uint8Array[] | undefined {
  const refuse = (why: string) => new FlotillaError('SECAGG_REFUSED', why);
  if (!task.clients) {
    if (identity) {
      throw refuse('this client signs its keys and verifies its neighbours, but the round is unsigned');
    }
    return undefined;
  }
  if (!identity) throw refuse('the round requires signed keys, but this client has no identity key');
  if (task.clients.length !== task.n || task.clients[task.index] !== identity.id) {
    throw refuse(
      `the round lists ${task.clients.length} clients for n = ${task.n} and places "${task.clients[task.index]}" ` +
        `at this client's index ${task.index}, not "${identity.id}"`,
    );
  }
  return task.clients.map((id) => {
    const key = identity.roster.get(id);
    if (!key) throw refuse(`client "${id}" of the round is not in this client's roster`);
    return key;
  });
}

/** One client's SecAgg+ round, from its masked update to its unmasking shares. */
export class SecureAggregationSession {
  private constructor(
    readonly round: number,
    private readonly client: SecAggClient,
  ) {}

  /**
   * Starts the round for `update` (already clipped and noised by the privacy stage) and returns the stage-0
   * advertisement to send.
   */
  static async start(
    task: SecureAggregationTask,
    round: number,
    seed: number,
    update: ParameterSet,
    numExamples: number,
    identity?: ClientIdentity,
  ): Promise<{ session: SecureAggregationSession; advertisement: Uint8Array }> {
    const params = verifiedRoundParams(task, round, update.size);
    const identities = rosterKeys(task, identity);
    const client = new SecAggClient({
      params,
      index: task.index,
      update: update.data,
      numExamples: task.unitWeights ? 1 : numExamples,
      // Stochastic rounding only: not secret, the server sees nothing but the masked sum.
      rng: new Rng(seed).split('secagg-quantize'),
      ...(identities ? { identities, identityKey: identity!.privateKey } : {}),
    });
    const advertisement = await client.advertise();
    return { session: new SecureAggregationSession(round, client), advertisement };
  }

  /** Answers the server's message for a later stage; the SecAggClient rejects anything out of order or replayed. */
  handle(payload: Uint8Array): Promise<Uint8Array> {
    return this.client.handle(payload);
  }

  get finished(): boolean {
    return this.client.phase === 'finished' || this.client.phase === 'failed';
  }
}

/**
 * Homomorphic aggregation (CKKS) as stages of an engine round. The fit task names the round's public encryption
 * parameters; each client trains, encrypts its weighted update under the secret key the clients share (the server
 * never has it) and answers with the ciphertexts (stage 0). The server adds the ciphertexts without any key, then asks
 * one contributing client to decrypt the encrypted sum (stage 1); if it does not answer, the next is asked.
 *
 * The server thus learns the weighted sum (as under SecAgg+), not one update. A decryptor could return a wrong sum,
 * as any client can send a wrong update; the sum is checked for size and finiteness, not for honesty.
 */
import { ParameterSet, toBase64, type HomomorphicTask, type ParameterLayout } from '../core/index.js';
import { encodeMessage } from '../protocol/index.js';
import { he } from '../privacy/index.js';
import type { SecureSum } from '../strategy/strategy.js';
import type { TaskEnvelope } from './pool.js';
import { readStageReply, type Checked } from './replies.js';
import {
  readOpening,
  resolveStageTimeout,
  type Accepted,
  type Collected,
  type StageRun,
  withResources,
} from './stages.js';

export interface HomomorphicConfig extends Partial<he.CkksParams> {
  /** Time the decryption stage allows a client to answer. Default 30 000 ms. */
  readonly stageTimeoutMs?: number;
}

export interface ResolvedHomomorphic {
  readonly params: he.CkksParams;
  readonly stageTimeoutMs: number;
}

export function resolveHomomorphic(config: HomomorphicConfig): ResolvedHomomorphic {
  const stageTimeoutMs = resolveStageTimeout(config.stageTimeoutMs, 'homomorphicAggregation.stageTimeoutMs');
  const { polyModulusDegree, coeffModulusBits, scaleBits } = config;
  return {
    params: he.resolveCkksParams({
      ...(polyModulusDegree !== undefined ? { polyModulusDegree } : {}),
      ...(coeffModulusBits !== undefined ? { coeffModulusBits } : {}),
      ...(scaleBits !== undefined ? { scaleBits } : {}),
    }),
    stageTimeoutMs,
  };
}

/** The public encryption parameters of `params`, as the clients' key files must hold them (no key involved). */
export async function encryptionParameters(params: he.CkksParams): Promise<Uint8Array> {
  const ctx = he.createContext(await he.loadSeal(), params);
  try {
    return he.saveEncryptionParameters(ctx);
  } finally {
    ctx.delete();
  }
}

type Contribution = SecureSum['contributions'][number];

/** One attempt's homomorphic round on the server: the keyless ciphertext sum, then its decryption by a client. */
export class HomomorphicRound {
  private readonly contributions: Contribution[] = [];
  private weightTotal = 0;
  private decrypted: Float32Array | undefined;
  /** The encrypted sum, serialised once for however many clients are asked to decrypt it. */
  private encryptedSum: Uint8Array | undefined;

  private constructor(
    private readonly aggregator: he.HeAggregator,
    readonly task: HomomorphicTask,
    private readonly setup: {
      readonly round: number;
      readonly attempt: number;
      readonly layout: ParameterLayout;
      readonly unitWeights: boolean;
      /** Fewest contributors whose sum may be decrypted. */
      readonly needed: number;
      readonly stageTimeoutMs: number;
    },
  ) {}

  static async open(parameters: Uint8Array, setup: HomomorphicRound['setup']): Promise<HomomorphicRound> {
    const aggregator = await he.HeAggregator.create({ parameters, dimension: setup.layout.totalSize });
    const task = { parameters: toBase64(parameters), unitWeights: setup.unitWeights };
    return new HomomorphicRound(aggregator, task, setup);
  }

  /**
   * Runs the round: the fit tasks (answered with ciphertexts, added as they arrive), then the decryption of the sum
   * by one contributor after another until one answers. Nothing is decrypted when too few contributed.
   */
  async collect(run: StageRun): Promise<Collected> {
    const failures = await run.dispatch('fit', run.fitTasks, run.fitDeadlineMs, (frame, task) => {
      const opening = readOpening(run, frame, task, 'he');
      if (!opening.ok) return opening;
      const { payload, reported, resources } = opening.value;
      return withResources(this.receive(task.clientId, payload, reported), resources);
    });
    const contributors = this.contributions.length;
    if (contributors < this.setup.needed) {
      return {
        ok: false,
        reason:
          `${contributors} of ${run.fitTasks.length} client(s) returned a valid result, ${this.setup.needed} ` +
          `needed; the encrypted sum was not decrypted`,
        failures,
      };
    }
    for (const { clientId } of this.contributions) {
      const decryptFailures = await run.dispatch(
        'homomorphic-aggregation',
        [this.decryptTask(clientId)],
        this.setup.stageTimeoutMs,
        (frame, task) => {
          const checked = readStageReply(frame, task, 'he', 1, run.limits);
          return checked.ok ? this.acceptDecryption(task.clientId, checked.value.payload) : checked;
        },
      );
      failures.push(...decryptFailures);
      const sum = this.sum();
      if (sum) return { ok: true, sum, failures };
    }
    return { ok: false, reason: 'no contributing client decrypted the encrypted sum', failures };
  }

  /** Adds a client's encrypted update; a blob the aggregator refuses makes it a failed client. */
  private receive(
    clientId: string,
    payload: Uint8Array,
    reported: Omit<Contribution, 'clientId'>,
  ): Checked<Accepted> {
    try {
      this.aggregator.add(payload);
    } catch (error) {
      return { ok: false, failure: { clientId, cause: 'rejected', message: (error as Error).message } };
    }
    this.contributions.push({ clientId, ...reported });
    this.weightTotal += this.setup.unitWeights ? 1 : reported.numExamples;
    return { ok: true, value: reported };
  }

  /** The stage-1 task asking `clientId` to decrypt the encrypted sum. */
  private decryptTask(clientId: string): TaskEnvelope {
    const { round, attempt } = this.setup;
    const taskId = `${round}.${attempt}.he.${this.contributions.findIndex((c) => c.clientId === clientId)}`;
    this.encryptedSum ??= this.aggregator.result();
    const payload = this.encryptedSum;
    return {
      clientId,
      taskId,
      frame: encodeMessage({ type: 'stage-task', round, taskId, protocol: 'he', stage: 1, payload }),
    };
  }

  /** Checks a decrypted sum: d little-endian float64 values, all finite. */
  private acceptDecryption(clientId: string, payload: Uint8Array): Checked<Accepted> {
    const d = this.setup.layout.totalSize;
    if (payload.length !== 8 * d) {
      return {
        ok: false,
        failure: {
          clientId,
          cause: 'invalid-result',
          message: `a decrypted sum of ${d} values has ${8 * d} bytes, got ${payload.length}`,
        },
      };
    }
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const sum = new Float32Array(d);
    for (let i = 0; i < d; i++) {
      const value = view.getFloat64(8 * i, true);
      if (!Number.isFinite(value) || !Number.isFinite(Math.fround(value))) {
        return {
          ok: false,
          failure: {
            clientId,
            cause: 'non-finite',
            message: `decrypted value ${i} is not finite (${value})`,
          },
        };
      }
      sum[i] = value;
    }
    this.decrypted = sum;
    return { ok: true, value: { numExamples: 0 } };
  }

  /** The decrypted round, once a client has decrypted it. */
  private sum(): SecureSum | undefined {
    if (!this.decrypted) return undefined;
    return {
      weightedSum: new ParameterSet(this.setup.layout, this.decrypted),
      weightTotal: this.weightTotal,
      contributions: this.contributions,
    };
  }

  delete(): void {
    this.aggregator.delete();
  }
}

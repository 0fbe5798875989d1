/**
 * The client runtime: turns an encoded task frame from the server into an encoded reply by running the user's
 * Trainer. It owns the rules every client must follow whatever its ML library: the trainer gets its own copy of the
 * global parameters, its output must keep the model's layout and be finite, and the client sends its update
 * (trained - global), never its raw parameters. Browser-safe: no platform imports.
 */
import {
  FlotillaError,
  ParameterSet,
  difference,
  isFlotillaError,
  missingTrainerFeatures,
  type Trainer,
} from '../core/index.js';
import type { PrivacyBudget } from '../privacy/accountant/index.js';
import type { HeKeys } from '../privacy/he/keys.js';
import {
  DEFAULT_DECODE_LIMITS,
  MAX_FAILURE_MESSAGE_LENGTH,
  decodeMessage,
  encodeMessage,
  type DecodeLimits,
  type EvaluateResultMessage,
  type EvaluateTaskMessage,
  type FitResultMessage,
  type FitTaskMessage,
  type Message,
  type StageProtocol,
  type StageResultMessage,
  type StageTaskMessage,
  type TaskFailedMessage,
} from '../protocol/index.js';
import { ClientControlVariate } from './control-variate.js';
import { HomomorphicClient } from './homomorphic.js';
import { ClientPrivacy, type ClientNoise, type PrivacyLedgerStore } from './privacy.js';
import { measureTask, type ResourceProbe } from './resources.js';
import { SecureAggregationSession, type ClientIdentity } from './secure-aggregation.js';

export interface ClientRuntimeOptions {
  /** Bounds applied to incoming frames (default DEFAULT_DECODE_LIMITS). */
  readonly limits?: DecodeLimits;
  /** Source of local DP noise: 'secure' (default, the platform CSPRNG) or 'seeded' (reproducible simulations). */
  readonly noise?: ClientNoise;
  /** This client's own privacy budget (local DP, DP-SGD): an update that would exceed it is not sent. */
  readonly privacyBudget?: PrivacyBudget;
  /**
   * Where this client's own ledger lives across restarts. Loaded before the first task; saved after every charged
   * release and before the update is sent, so a crash can only over-count, never forget, what left.
   */
  readonly ledger?: PrivacyLedgerStore;
  /** The CKKS key the federation's clients share, for homomorphic aggregation (loaded from its key file). */
  readonly homomorphicKeys?: HeKeys;
  /** Sign this client's SecAgg+ keys and verify its neighbours' against a roster (and refuse unsigned rounds). */
  readonly identity?: ClientIdentity;
  /**
   * Report each fit's and evaluation's resources (wall and CPU time, peak memory, bytes, device) with its result,
   * through this platform probe (client/node: `nodeResourceProbe`). Without it, results carry no report.
   */
  readonly resources?: ResourceProbe;
}

export class ClientRuntime {
  private readonly limits: DecodeLimits;
  /** SCAFFOLD's c_i, kept across rounds for as long as this runtime lives. */
  private readonly controlVariate = new ClientControlVariate();
  /** The client-side privacy stage and this client's own ledger. */
  readonly privacy: ClientPrivacy;
  /** The secure-aggregation round in progress, if any (one at a time: a new fit task replaces it). */
  private secureSession: SecureAggregationSession | undefined;
  private readonly homomorphic: HomomorphicClient | undefined;
  private readonly identity: ClientIdentity | undefined;
  /** The round and model size of this client's last homomorphic fit: what a decryption request must match. */
  private homomorphicRound: { readonly round: number; readonly dimension: number } | undefined;
  private readonly ledger: PrivacyLedgerStore | undefined;
  private readonly resources: ResourceProbe | undefined;
  private ledgerLoaded: Promise<void> | undefined;

  constructor(
    private readonly trainer: Trainer,
    options: ClientRuntimeOptions = {},
  ) {
    this.limits = options.limits ?? DEFAULT_DECODE_LIMITS;
    this.privacy = new ClientPrivacy(options.noise ?? 'secure', options.privacyBudget);
    this.homomorphic = options.homomorphicKeys && new HomomorphicClient(options.homomorphicKeys);
    this.identity = options.identity;
    this.ledger = options.ledger;
    this.resources = options.resources;
  }

  /**
   * Restores the saved ledger once, before the first release this process makes. A process may call it at start to
   * surface an unreadable ledger at once rather than at its first task.
   */
  restoreLedger(): Promise<void> {
    return (this.ledgerLoaded ??= (async () => {
      const snapshot = await this.ledger?.load();
      if (snapshot !== undefined) this.privacy.restore(snapshot);
    })());
  }

  /**
   * Runs one task and returns the encoded reply: fit-result, evaluate-result, or task-failed when the trainer throws
   * or returns something unusable. Rejects (with the codec's FlotillaError) only when the frame itself cannot be
   * decoded or is not a task: the transport decides what to do with such a peer.
   */
  async handle(frame: Uint8Array): Promise<Uint8Array> {
    const task = decodeMessage(frame, this.limits);
    if (task.type !== 'fit-task' && task.type !== 'evaluate-task' && task.type !== 'stage-task') {
      throw new FlotillaError('MESSAGE_INVALID', `a client cannot handle a ${task.type} message`);
    }
    const measure = this.resources && measureTask(this.resources, frame.byteLength);
    let reply: Message;
    try {
      reply =
        task.type === 'fit-task'
          ? await this.fit(task)
          : task.type === 'evaluate-task'
            ? await this.evaluate(task)
            : await this.stage(task);
    } catch (error) {
      return encodeMessage(taskFailed(task, error));
    }
    try {
      return encodeMessage(measure ? measure.finish(reply) : reply);
    } catch (error) {
      // The encoder validates the fields the trainer supplied (counts, metrics) and names the bad one.
      return encodeMessage(taskFailed(task, error, 'trainer output rejected: '));
    }
  }

  private async fit(task: FitTaskMessage): Promise<FitResultMessage | StageResultMessage> {
    // A new task ends whatever secure round this client was in: its server has moved on.
    this.secureSession = undefined;
    this.homomorphicRound = undefined;
    // A copy, so a trainer that trains in place cannot change the global parameters the update is measured from.
    const control = task.control;
    if (control) task.params.layout.assertEquals(control.layout, 'the global model and the control variate');
    const extras = control ? this.controlVariate.extras(control) : undefined;
    const missing = missingTrainerFeatures(this.trainer, task.config, extras);
    if (missing.length > 0) {
      throw new FlotillaError(
        'TRAINER_UNSUPPORTED',
        `the task needs what this trainer does not declare in trainer.features: ${missing.join('; ')}`,
      );
    }
    const out = await runTrainer('fit', () => this.trainer.fit(task.params.clone(), task.config, extras));
    if (!(out?.params instanceof ParameterSet)) {
      throw new FlotillaError('CLIENT_FAILED', 'trainer.fit returned no ParameterSet');
    }
    task.params.layout.assertEquals(out.params.layout, 'the global model and the trained parameters');
    out.params.assertFinite('trained parameters');
    const update = difference(out.params, task.params);
    // Finite inputs can still overflow float32 when subtracted.
    update.assertFinite('the update (trained - global)');
    // The privacy stage runs on exactly what leaves; it throws (nothing sent) when the client's budget is spent.
    await this.restoreLedger();
    const charged = this.privacy.accountant.entries.length;
    const privacyMetrics = this.privacy.process(update, task.config, out);
    if (this.ledger && this.privacy.accountant.entries.length > charged) {
      await this.ledger.save(this.privacy.accountant.toJSON());
    }
    const hidden = await this.hideUpdate(task, update, out.numExamples);
    if (hidden) {
      return {
        type: 'stage-result',
        round: task.round,
        taskId: task.taskId,
        ...hidden,
        stage: 0,
        numExamples: out.numExamples,
        localSteps: out.localSteps,
        metrics: { ...out.metrics, ...privacyMetrics },
      };
    }
    const controlDelta = control
      ? this.controlVariate.advance(control, update, out.localSteps, task.config.learningRate)
      : undefined;
    return {
      type: 'fit-result',
      round: task.round,
      taskId: task.taskId,
      numExamples: out.numExamples,
      localSteps: out.localSteps,
      metrics: { ...out.metrics, ...privacyMetrics },
      update,
      ...(controlDelta ? { controlDelta } : {}),
    };
  }

  /**
   * Under secure or homomorphic aggregation the update leaves masked (SecAgg+ starts with this client's keys) or
   * encrypted, as the protocol's stage 0; otherwise undefined and it leaves as a fit-result.
   */
  private async hideUpdate(
    task: FitTaskMessage,
    update: ParameterSet,
    numExamples: number,
  ): Promise<{ protocol: StageProtocol; payload: Uint8Array } | undefined> {
    const { homomorphic, secureAggregation, seed } = task.config;
    if (!homomorphic && !secureAggregation) return undefined;
    if (task.control) {
      throw new FlotillaError('SECAGG_REFUSED', "SCAFFOLD needs each client's update: it cannot run hidden");
    }
    if (homomorphic) {
      if (!this.homomorphic) {
        throw new FlotillaError(
          'SECAGG_REFUSED',
          'this client has no CKKS key file for homomorphic aggregation',
        );
      }
      const payload = this.homomorphic.encrypt(homomorphic, update, numExamples);
      this.homomorphicRound = { round: task.round, dimension: update.size };
      return { protocol: 'he', payload };
    }
    const started = await SecureAggregationSession.start(
      secureAggregation!,
      task.round,
      seed,
      update,
      numExamples,
      this.identity,
    );
    this.secureSession = started.session;
    return { protocol: 'secagg', payload: started.advertisement };
  }

  /** A later stage of the secure or homomorphic round this client's last fit task started. */
  private async stage(task: StageTaskMessage): Promise<StageResultMessage> {
    const reply = {
      type: 'stage-result',
      round: task.round,
      taskId: task.taskId,
      stage: task.stage,
    } as const;
    if (task.protocol === 'he') {
      const round = this.homomorphicRound;
      if (!this.homomorphic || task.stage !== 1 || round?.round !== task.round) {
        throw new FlotillaError(
          'SECAGG_REJECTED',
          `no homomorphic round ${task.round} on this client to decrypt a stage-${task.stage} task for`,
        );
      }
      return { ...reply, protocol: 'he', payload: this.homomorphic.decrypt(task.payload, round.dimension) };
    }
    const session = this.secureSession;
    if (task.protocol !== 'secagg' || !session || session.round !== task.round || session.finished) {
      throw new FlotillaError(
        'SECAGG_REJECTED',
        `no ${task.protocol} round ${task.round} in progress on this client for a stage-${task.stage} task`,
      );
    }
    const payload = await session.handle(task.payload);
    if (session.finished) this.secureSession = undefined;
    return { ...reply, protocol: 'secagg', payload };
  }

  private async evaluate(task: EvaluateTaskMessage): Promise<EvaluateResultMessage> {
    const out = await runTrainer('evaluate', () => this.trainer.evaluate(task.params, task.config));
    return {
      type: 'evaluate-result',
      round: task.round,
      taskId: task.taskId,
      loss: out?.loss,
      numExamples: out?.numExamples,
      metrics: out?.metrics,
    };
  }
}

/** Calls the trainer, tagging what it throws so the failure report says the trainer, not the runtime, failed. */
async function runTrainer<T>(method: 'fit' | 'evaluate', call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FlotillaError(
      isFlotillaError(error) ? error.code : 'CLIENT_FAILED',
      `trainer.${method} threw: ${reason}`,
    );
  }
}

function taskFailed(
  task: FitTaskMessage | EvaluateTaskMessage | StageTaskMessage,
  error: unknown,
  prefix = '',
): TaskFailedMessage {
  const reason = error instanceof Error ? error.message : String(error);
  return {
    type: 'task-failed',
    round: task.round,
    taskId: task.taskId,
    code: isFlotillaError(error) ? error.code : 'CLIENT_FAILED',
    message: (prefix + reason).slice(0, MAX_FAILURE_MESSAGE_LENGTH),
  };
}

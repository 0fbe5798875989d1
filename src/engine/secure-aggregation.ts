/**
 * Secure aggregation (SecAgg+) as stages of an engine round. The fit task carries each client's place in the
 * protocol; the client trains, masks and answers with its stage-0 key advertisement; the engine then carries the
 * SecAggServer's messages for stages 1-3 (share keys, masked input, unmasking) as stage tasks through the same pool,
 * each stage with its own deadline. Clients that miss a deadline or send something the server rejects are dropouts;
 * the protocol recovers them down to its threshold and aborts cleanly below it.
 *
 * The round's sum is released only if at least as many clients' masked inputs arrived as the round needs results:
 * the engine checks this before it asks anyone to unmask, so a short round reveals nothing (with distributed DP an
 * early sum would carry too little noise).
 */
import {
  FlotillaError,
  ParameterSet,
  toHex,
  type ParameterLayout,
  type SecureAggregationTask,
} from '../core/index.js';
import { encodeMessage } from '../protocol/index.js';
import { secagg } from '../privacy/index.js';
import type { ClientFitResult, SecureSum } from '../strategy/strategy.js';
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

export interface SecureAggregationConfig extends secagg.SecAggConfig {
  /** Time each later stage (share keys, masked input, unmasking) allows for replies. Default 30 000 ms. */
  readonly stageTimeoutMs?: number;
  /**
   * Require signed key advertisements: the fit task names the round's clients by index, and each client verifies
   * its neighbours' keys against its own roster of identity keys. Default false.
   */
  readonly signed?: boolean;
}

export interface ResolvedSecureAggregation extends secagg.SecAggConfig {
  readonly stageTimeoutMs: number;
  readonly signed: boolean;
}

export function resolveSecureAggregation(config: SecureAggregationConfig): ResolvedSecureAggregation {
  const stageTimeoutMs = resolveStageTimeout(config.stageTimeoutMs, 'secureAggregation.stageTimeoutMs');
  // Checks every value that does not depend on the round's size now, with the smallest round (n = 2); the modulus
  // capacity is checked against the largest possible selection when a run starts (checkCapacity).
  secagg.resolveRoundParams(config, {
    session: 'check',
    round: 1,
    n: 2,
    dimension: 1,
    graphSeed: new Uint8Array(32),
  });
  return { ...config, stageTimeoutMs, signed: config.signed === true };
}

/** Fails early (CONFIG_INVALID) when the modulus cannot hold the sum of `maxClients` clients. */
export function checkCapacity(config: ResolvedSecureAggregation, maxClients: number): void {
  if (maxClients < 2) return;
  const params = secagg.resolveRoundParams(config, {
    session: 'check',
    round: 1,
    n: maxClients,
    dimension: 1,
    graphSeed: new Uint8Array(32),
  });
  secagg.checkModulusCapacity(maxClients, params);
}

/** What a client reported in the clear at stage 0. */
type Contribution = SecureSum['contributions'][number];

type StageStep =
  | { readonly kind: 'tasks'; readonly stage: number; readonly tasks: readonly TaskEnvelope[] }
  | { readonly kind: 'completed'; readonly sum: SecureSum }
  | { readonly kind: 'aborted'; readonly reason: string };

/** One attempt's SecAgg+ round on the server: the client indexing, the SecAggServer, and the stage tasks. */
export class SecureRound {
  readonly params: secagg.SecAggRoundParams;
  private readonly server: secagg.SecAggServer;
  private readonly indexOf: ReadonlyMap<string, number>;
  private readonly contributions = new Map<string, Contribution>();

  constructor(
    private readonly config: ResolvedSecureAggregation,
    private readonly setup: {
      readonly session: string;
      readonly round: number;
      readonly attempt: number;
      readonly clientIds: readonly string[];
      readonly layout: ParameterLayout;
      readonly unitWeights: boolean;
      /** Fewest contributors whose sum may be released. */
      readonly needed: number;
    },
  ) {
    this.params = secagg.resolveRoundParams(config, {
      session: setup.session,
      round: setup.round,
      n: setup.clientIds.length,
      dimension: setup.layout.totalSize,
      graphSeed: secagg.randomBytes(32),
    });
    this.server = new secagg.SecAggServer({ params: this.params });
    this.indexOf = new Map(setup.clientIds.map((id, i) => [id, i]));
  }

  /** The client's part of the fit task. */
  taskFor(clientId: string): SecureAggregationTask {
    const p = this.params;
    return {
      session: p.session,
      n: p.n,
      index: this.indexOf.get(clientId)!,
      neighbours: p.neighbours,
      threshold: p.threshold,
      clippingRange: p.clippingRange,
      quantizationBits: p.quantizationBits,
      modulusBits: p.modulusBits,
      maxWeight: p.maxWeight,
      graphSeed: toHex(p.graphSeed),
      unitWeights: this.setup.unitWeights,
      ...(this.config.signed ? { clients: this.setup.clientIds } : {}),
    };
  }

  /**
   * Runs the round: the fit tasks (answered with stage-0 keys), then stages 1-3 as stage tasks, each with the stage
   * timeout. Returns the unmasked sum, or why the round stopped; clients the server dropped inside the protocol
   * (inconsistent shares...) are failures too, with its reason.
   */
  async collect(run: StageRun): Promise<Collected> {
    const failures = await run.dispatch('fit', run.fitTasks, run.fitDeadlineMs, (frame, task) => {
      const opening = readOpening(run, frame, task, 'secagg');
      if (!opening.ok) return opening;
      const { payload, reported, resources } = opening.value;
      return this.receive(task.clientId, payload, reported).then((c) => withResources(c, resources));
    });
    let step = await this.next();
    while (step.kind === 'tasks') {
      const stage = step.stage;
      const stageFailures = await run.dispatch(
        'secure-aggregation',
        step.tasks,
        this.config.stageTimeoutMs,
        async (frame, task) => {
          const checked = readStageReply(frame, task, 'secagg', stage, run.limits);
          return checked.ok ? this.receive(task.clientId, checked.value.payload) : checked;
        },
      );
      failures.push(...stageFailures);
      step = await this.next();
    }
    const failed = new Set(failures.map((f) => f.clientId));
    for (const { clientId, reason } of this.rejections()) {
      if (failed.has(clientId)) continue;
      failed.add(clientId);
      const failure = { clientId, cause: 'secagg-dropped', message: reason };
      failures.push(failure);
      run.failed('secure-aggregation', failure);
    }
    return step.kind === 'aborted'
      ? { ok: false, reason: step.reason, failures }
      : { ok: true, sum: step.sum, failures };
  }

  /** Feeds a client's stage message to the server; a refused message makes the client a dropout. */
  private async receive(
    clientId: string,
    payload: Uint8Array,
    reported?: Omit<Contribution, 'clientId'>,
  ): Promise<Checked<Accepted>> {
    const outcome = await this.server.receive(this.indexOf.get(clientId)!, payload);
    if (!outcome.accepted) {
      return { ok: false, failure: { clientId, cause: 'rejected', message: outcome.reason } };
    }
    if (reported) this.contributions.set(clientId, { clientId, ...reported });
    return { ok: true, value: reported ?? { numExamples: 0 } };
  }

  /** Closes the current stage: the next stage's tasks, the round's sum, or why the round stopped. */
  private async next(): Promise<StageStep> {
    const outcome = await this.server.closeStage();
    if (outcome.kind === 'aborted') {
      return {
        kind: 'aborted',
        reason: `secure aggregation aborted at stage ${outcome.stage} (${secagg.STAGE_NAMES[outcome.stage]}): ${outcome.reason}`,
      };
    }
    if (outcome.kind === 'completed') return { kind: 'completed', sum: this.sumOf(outcome.result) };
    if (outcome.stage === 3) {
      const masked = this.server.survivors(2).length;
      if (masked < this.setup.needed) {
        return {
          kind: 'aborted',
          reason:
            `secure aggregation stopped before unmasking: ${masked} client(s) sent a masked input, ` +
            `${this.setup.needed} needed; nothing was unmasked`,
        };
      }
    }
    const ids = this.setup.clientIds;
    const { round, attempt } = this.setup;
    const tasks = [...outcome.messages].map(([index, payload]) => {
      const taskId = `${round}.${attempt}.${index}.s${outcome.stage}`;
      return {
        clientId: ids[index]!,
        taskId,
        frame: encodeMessage({
          type: 'stage-task',
          round,
          taskId,
          protocol: 'secagg',
          stage: outcome.stage,
          payload,
        }),
      };
    });
    return { kind: 'tasks', stage: outcome.stage, tasks };
  }

  /** Clients the server dropped inside the protocol (inconsistent shares...), with its reasons. */
  private rejections(): readonly { clientId: string; reason: string }[] {
    return this.server.rejections.map((r) => ({
      clientId: this.setup.clientIds[r.client] ?? `#${r.client}`,
      reason: `stage ${r.stage}: ${r.reason}`,
    }));
  }

  private sumOf(result: secagg.SecAggResult): SecureSum {
    const ids = this.setup.clientIds;
    const contributions = result.included.map((index) => {
      const contribution = this.contributions.get(ids[index]!);
      if (!contribution) {
        throw new FlotillaError(
          'SECAGG_ABORTED',
          `client ${ids[index]} is in the sum but sent no stage-0 report`,
        );
      }
      return contribution;
    });
    return {
      weightedSum: new ParameterSet(this.setup.layout, result.weightedSum),
      weightTotal: result.weightTotal,
      contributions,
    };
  }
}

/**
 * The secure sum as one result, for strategies whose rule needs only the mean update: the weighted mean, the total
 * examples and the example-weighted mean of the reported metrics.
 */
export function meanResult(sum: SecureSum): ClientFitResult {
  const update = sum.weightedSum.clone();
  const inverse = sum.weightTotal > 0 ? 1 / sum.weightTotal : 0;
  const data = update.data;
  for (let i = 0; i < data.length; i++) data[i] = data[i]! * inverse;
  let numExamples = 0;
  const totals = new Map<string, number>();
  for (const c of sum.contributions) {
    numExamples += c.numExamples;
    for (const [name, value] of Object.entries(c.metrics)) {
      totals.set(name, (totals.get(name) ?? 0) + value * c.numExamples);
    }
  }
  const metrics: Record<string, number> = {};
  for (const [name, total] of totals) metrics[name] = numExamples > 0 ? total / numExamples : 0;
  return {
    clientId: 'secure-aggregate',
    numExamples: Math.max(1, numExamples),
    localSteps: 0,
    metrics,
    update,
  };
}

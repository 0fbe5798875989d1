/**
 * Turns a client's reply frame into a validated result or a failure with a cause (DESIGN principle 7). Nothing a
 * client sends can make the engine throw: undecodable or oversized frames, answers to another task, updates with the
 * wrong layout and non-finite numbers all become ClientFailures, which the round records and survives.
 */
import {
  isFlotillaError,
  type EvaluateOutput,
  type ParameterLayout,
  type ResourceReport,
} from '../core/index.js';
import {
  decodeMessage,
  type DecodeLimits,
  type Message,
  type MessageType,
  type StageProtocol,
  type StageResultMessage,
} from '../protocol/index.js';
import type { ClientFailure, ClientFitResult } from '../strategy/strategy.js';

/** The task a reply must answer. */
export interface SentTask {
  readonly clientId: string;
  readonly taskId: string;
  readonly round: number;
}

/** What a client reported about the task's resources, next to its result (telemetry reads it; aggregation does not). */
export interface WithResources {
  readonly resources?: ResourceReport;
}

export type Checked<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly failure: ClientFailure };

function fail(task: SentTask, cause: string, message: string): { ok: false; failure: ClientFailure } {
  return { ok: false, failure: { clientId: task.clientId, cause, message } };
}

/** Decodes a reply and checks that it answers `task` with a message of type `expected`. */
function decodeReply<T extends MessageType>(
  frame: Uint8Array,
  task: SentTask,
  expected: T,
  limits: DecodeLimits | undefined,
): Checked<Extract<Message, { type: T }>> {
  let message: Message;
  try {
    message = decodeMessage(frame, limits);
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const cause = isFlotillaError(error) ? DECODE_CAUSES[error.code] : undefined;
    return fail(task, cause ?? 'undecodable', text);
  }
  if (message.taskId !== task.taskId || message.round !== task.round) {
    return fail(
      task,
      'mismatched-task',
      `reply is for task "${message.taskId}" of round ${message.round}, ` +
        `but the client was sent task "${task.taskId}" of round ${task.round}`,
    );
  }
  if (message.type === 'task-failed') {
    // A client that reports diverged training is recorded as such, like a non-finite update it had sent.
    const cause = message.code === 'NON_FINITE' ? 'non-finite' : 'client-error';
    return fail(task, cause, `${message.code}: ${message.message}`);
  }
  if (message.type !== expected) {
    return fail(task, 'invalid-result', `expected a ${expected} reply, got ${message.type}`);
  }
  return { ok: true, value: message as Extract<Message, { type: T }> };
}

/** Causes for the codec's typed errors; anything else it throws means the frame could not be read at all. */
const DECODE_CAUSES: Partial<Record<string, string>> = {
  CODEC_OVERSIZED: 'oversized',
  NON_FINITE: 'non-finite',
  MESSAGE_INVALID: 'invalid-result',
};

function positiveCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 1;
}

export function readFitReply(
  frame: Uint8Array,
  task: SentTask,
  layout: ParameterLayout,
  limits?: DecodeLimits,
): Checked<ClientFitResult & WithResources> {
  const decoded = decodeReply(frame, task, 'fit-result', limits);
  if (!decoded.ok) return decoded;
  // The codec has checked the schema and that every number is finite; what it cannot know is this round's layout.
  const reply = decoded.value;
  if (!positiveCount(reply.numExamples)) {
    return fail(task, 'invalid-result', `numExamples must be a positive integer, got ${reply.numExamples}`);
  }
  for (const [set, what] of [
    [reply.update, 'update'],
    [reply.controlDelta, 'control variate delta'],
  ] as const) {
    if (set === undefined || set.layout.equals(layout)) continue;
    try {
      layout.assertEquals(set.layout, `model and ${what}`);
    } catch (error) {
      return fail(task, 'wrong-layout', (error as Error).message);
    }
  }
  return {
    ok: true,
    value: {
      clientId: task.clientId,
      numExamples: reply.numExamples,
      localSteps: reply.localSteps,
      metrics: reply.metrics,
      update: reply.update,
      ...(reply.controlDelta ? { controlDelta: reply.controlDelta } : {}),
      ...(reply.resources ? { resources: reply.resources } : {}),
    },
  };
}

export function readEvaluateReply(
  frame: Uint8Array,
  task: SentTask,
  limits?: DecodeLimits,
): Checked<EvaluateOutput & WithResources> {
  const decoded = decodeReply(frame, task, 'evaluate-result', limits);
  if (!decoded.ok) return decoded;
  const reply = decoded.value;
  if (!positiveCount(reply.numExamples)) {
    return fail(task, 'invalid-result', `numExamples must be a positive integer, got ${reply.numExamples}`);
  }
  const { loss, numExamples, metrics, resources } = reply;
  return { ok: true, value: { loss, numExamples, metrics, ...(resources ? { resources } : {}) } };
}

/** A stage-protocol reply: the payload of `protocol`'s `stage` (and, at stage 0, the client's reported counts). */
export function readStageReply(
  frame: Uint8Array,
  task: SentTask,
  protocol: StageProtocol,
  stage: number,
  limits?: DecodeLimits,
): Checked<StageResultMessage> {
  const decoded = decodeReply(frame, task, 'stage-result', limits);
  if (!decoded.ok) return decoded;
  const reply = decoded.value;
  if (reply.protocol !== protocol || reply.stage !== stage) {
    return fail(
      task,
      'invalid-result',
      `expected a ${protocol} stage-${stage} result, got ${reply.protocol} stage ${reply.stage}`,
    );
  }
  if (stage === 0 && !positiveCount(reply.numExamples!)) {
    return fail(task, 'invalid-result', `numExamples must be a positive integer, got ${reply.numExamples}`);
  }
  return { ok: true, value: reply };
}

/** A client's stage-0 reply, which answers its fit task: the protocol's payload and what the client reports. */
export function readStageOpening(
  frame: Uint8Array,
  task: SentTask,
  protocol: StageProtocol,
  limits?: DecodeLimits,
): Checked<
  {
    readonly payload: Uint8Array;
    readonly reported: Omit<ClientFitResult, 'clientId' | 'update'>;
  } & WithResources
> {
  const checked = readStageReply(frame, task, protocol, 0, limits);
  if (!checked.ok) return checked;
  // The codec's consistency rule guarantees the three fields at stage 0.
  const { payload, numExamples, localSteps, metrics, resources } = checked.value;
  return {
    ok: true,
    value: {
      payload,
      reported: { numExamples: numExamples!, localSteps: localSteps!, metrics: metrics! },
      ...(resources ? { resources } : {}),
    },
  };
}

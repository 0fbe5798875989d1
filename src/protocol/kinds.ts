/**
 * The kind table: one entry per message type, giving its one-byte code in the frame, the message keys that hold
 * parameter sets (carried as raw float32 payloads, in this order) and the schema of its other fields (carried in the
 * JSON header). A new task message kind (e.g. secure-aggregation stages) is a new entry here and a new member of the
 * Message union; the frame format does not change. Session control (handshake, heartbeat, refusal) is not: see
 * control.ts.
 *
 * Code allocation: 1-63 messages between the engine and clients, of which 32-47 are session control messages with a
 * table of their own (control.ts); 64 a standalone parameter set (checkpoints, model caches; see codec.ts); 0 and the
 * rest unassigned. Codes are part of the wire format: never renumber one.
 */
import { int, num, obj, oneOf, optional, type Schema } from '../core/index.js';
import type { ParameterSet } from '../core/index.js';
import type {
  EvaluateResultMessage,
  EvaluateTaskMessage,
  FitResultMessage,
  FitTaskMessage,
  Message,
  MessageType,
  StageResultMessage,
  StageTaskMessage,
  TaskFailedMessage,
} from './messages.js';
import {
  countSchema,
  evaluateConfigSchema,
  failureCodeSchema,
  failureMessageSchema,
  fitConfigSchema,
  metricsSchema,
  resourcesSchema,
  roundSchema,
  taskIdSchema,
} from './schemas.js';

const stageProtocolSchema = oneOf(['secagg', 'he'] as const);
const stageSchema = int({ min: 0, max: 15 });

/** Keys of M whose values are ParameterSets. */
export type ParameterKeys<M> = {
  [K in keyof M]-?: NonNullable<M[K]> extends ParameterSet ? K : never;
}[keyof M] &
  string;

/** Keys of M whose values are opaque byte blobs. */
export type BlobKeys<M> = {
  [K in keyof M]-?: NonNullable<M[K]> extends Uint8Array ? K : never;
}[keyof M] &
  string;

/** What a message carries in the JSON header: everything but its type, its parameter sets and its blobs. */
export type MessageFields<M extends Message> = Omit<M, 'type' | ParameterKeys<M> | BlobKeys<M>>;

export interface MessageKind {
  readonly code: number;
  readonly type: MessageType;
  /** Keys holding parameter sets, in payload order. */
  readonly sets: readonly string[];
  /** Keys of optional parameter sets, carried after `sets` when present. */
  readonly optionalSets?: readonly string[];
  /** Keys holding opaque byte blobs, in payload order after the sets. */
  readonly blobs?: readonly string[];
  readonly fields: Schema<object>;
  /** Cross-field rules a schema cannot state; returns what is wrong, or undefined. */
  consistency?(fields: object): string | undefined;
}

interface TypedKind<M extends Message> {
  readonly code: number;
  readonly type: M['type'];
  readonly sets: readonly ParameterKeys<M>[];
  readonly optionalSets?: readonly ParameterKeys<M>[];
  readonly blobs?: readonly BlobKeys<M>[];
  readonly fields: Schema<MessageFields<M>>;
  consistency?(fields: MessageFields<M>): string | undefined;
}

/** Type-checks one entry against its message type, then widens it for the table. */
function kind<M extends Message>(entry: TypedKind<M>): MessageKind {
  return entry as MessageKind;
}

function sameRound(fields: { round: number; config: { round: number } }): string | undefined {
  return fields.round === fields.config.round
    ? undefined
    : `config.round (${fields.config.round}) differs from the message round (${fields.round})`;
}

export const MESSAGE_KINDS: readonly MessageKind[] = [
  kind<FitTaskMessage>({
    code: 1,
    type: 'fit-task',
    sets: ['params'],
    optionalSets: ['control'],
    fields: obj({ round: roundSchema, taskId: taskIdSchema, config: fitConfigSchema }),
    consistency: sameRound,
  }),
  kind<FitResultMessage>({
    code: 2,
    type: 'fit-result',
    sets: ['update'],
    optionalSets: ['controlDelta'],
    fields: obj({
      round: roundSchema,
      taskId: taskIdSchema,
      numExamples: countSchema,
      localSteps: countSchema,
      metrics: metricsSchema,
      resources: optional(resourcesSchema),
    }),
  }),
  kind<EvaluateTaskMessage>({
    code: 3,
    type: 'evaluate-task',
    sets: ['params'],
    fields: obj({ round: roundSchema, taskId: taskIdSchema, config: evaluateConfigSchema }),
    consistency: sameRound,
  }),
  kind<EvaluateResultMessage>({
    code: 4,
    type: 'evaluate-result',
    sets: [],
    fields: obj({
      round: roundSchema,
      taskId: taskIdSchema,
      loss: num(),
      numExamples: countSchema,
      metrics: metricsSchema,
      resources: optional(resourcesSchema),
    }),
  }),
  kind<TaskFailedMessage>({
    code: 5,
    type: 'task-failed',
    sets: [],
    fields: obj({
      round: roundSchema,
      taskId: taskIdSchema,
      code: failureCodeSchema,
      message: failureMessageSchema,
    }),
  }),
  kind<StageTaskMessage>({
    code: 6,
    type: 'stage-task',
    sets: [],
    blobs: ['payload'],
    fields: obj({
      round: roundSchema,
      taskId: taskIdSchema,
      protocol: stageProtocolSchema,
      stage: stageSchema,
    }),
  }),
  kind<StageResultMessage>({
    code: 7,
    type: 'stage-result',
    sets: [],
    blobs: ['payload'],
    fields: obj({
      round: roundSchema,
      taskId: taskIdSchema,
      protocol: stageProtocolSchema,
      stage: stageSchema,
      numExamples: optional(countSchema),
      localSteps: optional(countSchema),
      metrics: optional(metricsSchema),
      resources: optional(resourcesSchema),
    }),
    consistency: (fields) => {
      if (fields.stage !== 0 && fields.resources !== undefined) {
        return `resources belong to stage 0 (the fit), not stage ${fields.stage}`;
      }
      const training = [fields.numExamples, fields.localSteps, fields.metrics].filter((v) => v !== undefined);
      if (fields.stage === 0 && training.length !== 3) {
        return 'a stage-0 result answers a fit task and needs numExamples, localSteps and metrics';
      }
      if (fields.stage !== 0 && training.length !== 0) {
        return `numExamples, localSteps and metrics belong to stage 0, not stage ${fields.stage}`;
      }
      return undefined;
    },
  }),
];

/** Frame code of a standalone parameter set (encodeParameters). */
export const PARAMETERS_CODE = 64;

const byCode = new Map(MESSAGE_KINDS.map((k) => [k.code, k]));
const byType = new Map(MESSAGE_KINDS.map((k) => [k.type, k]));

export function kindByCode(code: number): MessageKind | undefined {
  return byCode.get(code);
}

export function kindByType(type: string): MessageKind | undefined {
  return byType.get(type as MessageType);
}

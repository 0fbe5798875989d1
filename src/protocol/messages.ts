/**
 * The typed messages that travel between the round engine and clients. They are encoded with the binary codec
 * (codec.ts): a small JSON header for the typed fields and the tensor layout, then raw little-endian float32
 * payloads. Every transport carries these same bytes, including the in-process simulator, so simulated runs
 * measure real traffic.
 */
import type { EvaluateConfig, FitConfig, MetricValues, ParameterSet, ResourceReport } from '../core/index.js';

export const PROTOCOL_VERSION = 1;

export interface FitTaskMessage {
  readonly type: 'fit-task';
  readonly round: number;
  readonly taskId: string;
  readonly config: FitConfig;
  /** The current global parameters. */
  readonly params: ParameterSet;
  /** SCAFFOLD's server control variate c (same layout as `params`); absent for other strategies. */
  readonly control?: ParameterSet;
}

export interface FitResultMessage {
  readonly type: 'fit-result';
  readonly round: number;
  readonly taskId: string;
  readonly numExamples: number;
  readonly localSteps: number;
  readonly metrics: MetricValues;
  /** The client's update: locally trained parameters minus the global parameters it was sent. */
  readonly update: ParameterSet;
  /** SCAFFOLD: the change of the client's control variate, c_i+ - c_i; sent when the task carried `control`. */
  readonly controlDelta?: ParameterSet;
  /** What the fit cost the client and on what device (clients with a resource probe send it). */
  readonly resources?: ResourceReport;
}

export interface EvaluateTaskMessage {
  readonly type: 'evaluate-task';
  readonly round: number;
  readonly taskId: string;
  readonly config: EvaluateConfig;
  readonly params: ParameterSet;
}

export interface EvaluateResultMessage {
  readonly type: 'evaluate-result';
  readonly round: number;
  readonly taskId: string;
  readonly loss: number;
  readonly numExamples: number;
  readonly metrics: MetricValues;
  readonly resources?: ResourceReport;
}

/** A client could not run a task (its trainer threw, its data is empty...). */
export interface TaskFailedMessage {
  readonly type: 'task-failed';
  readonly round: number;
  readonly taskId: string;
  readonly code: string;
  readonly message: string;
}

/**
 * Multi-stage aggregation protocols run inside a round after the fit task: 'secagg' (SecAgg+, whose stages 1-3 follow
 * the client's stage-0 key advertisement) and 'he' (CKKS; stage 1 asks a client to decrypt the summed ciphertexts).
 * Their payloads are the protocol's own encoded messages, opaque to this layer and validated by the protocol.
 */
export type StageProtocol = 'secagg' | 'he';

/** The server's message for one stage of a multi-stage protocol. */
export interface StageTaskMessage {
  readonly type: 'stage-task';
  readonly round: number;
  readonly taskId: string;
  readonly protocol: StageProtocol;
  readonly stage: number;
  readonly payload: Uint8Array;
}

/**
 * A client's message for one stage. Stage 0 answers the fit task itself, so it also carries what a fit-result
 * reports besides the update (which travels masked or encrypted in `payload`).
 */
export interface StageResultMessage {
  readonly type: 'stage-result';
  readonly round: number;
  readonly taskId: string;
  readonly protocol: StageProtocol;
  readonly stage: number;
  readonly numExamples?: number;
  readonly localSteps?: number;
  readonly metrics?: MetricValues;
  /** Stage 0 only, as on a fit-result. */
  readonly resources?: ResourceReport;
  readonly payload: Uint8Array;
}

export type Message =
  | FitTaskMessage
  | FitResultMessage
  | EvaluateTaskMessage
  | EvaluateResultMessage
  | TaskFailedMessage
  | StageTaskMessage
  | StageResultMessage;

export type MessageType = Message['type'];

/** Bounds a decoder enforces before it allocates anything; configurable per deployment. */
export interface DecodeLimits {
  /** Largest frame accepted, in bytes. */
  readonly maxFrameBytes: number;
  /** Largest JSON header accepted, in bytes. */
  readonly maxHeaderBytes: number;
  /** Most tensors in one parameter set. */
  readonly maxTensors: number;
  /** Deepest nesting of arrays and objects in the JSON header, checked before parsing; default 32. */
  readonly maxHeaderDepth?: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxFrameBytes: 256 * 1024 * 1024,
  maxHeaderBytes: 1024 * 1024,
  maxTensors: 4096,
};

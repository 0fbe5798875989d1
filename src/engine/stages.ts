/**
 * What a multi-stage aggregation protocol (SecAgg+, CKKS) needs from the engine to collect a round: a way to send
 * one phase's tasks through the pool with a deadline and have each reply judged, and a place to report the clients
 * the protocol itself drops. The protocol returns the round's sum, or why there is none.
 */
import { FlotillaError, type MetricValues, type ResourceReport } from '../core/index.js';
import type { DecodeLimits, StageProtocol } from '../protocol/index.js';
import type { ClientFailure, SecureSum } from '../strategy/strategy.js';
import type { TaskPhase } from './events.js';
import type { TaskEnvelope } from './pool.js';
import { readStageOpening, type Checked, type SentTask } from './replies.js';
import type { UpdateBounds } from './update-bounds.js';

/** What an accepted reply reported in the clear: its examples and, for results and evaluations, its metrics. */
export interface Accepted {
  readonly numExamples: number;
  readonly metrics?: MetricValues;
  /** The client's resource report for the task, when it sent one. */
  readonly resources?: ResourceReport;
}

/** An accepted stage-0 reply with the resource report its opening carried (the protocols keep only the counts). */
export function withResources(checked: Checked<Accepted>, resources?: ResourceReport): Checked<Accepted> {
  return checked.ok && resources ? { ok: true, value: { ...checked.value, resources } } : checked;
}

/** Judges one reply frame: what it reports, or the client's failure. */
export type AcceptReply = (
  frame: Uint8Array,
  task: SentTask,
) => Checked<Accepted> | Promise<Checked<Accepted>>;

export interface StageRun {
  /** The round's fit tasks, which open the protocol, and their deadline. */
  readonly fitTasks: readonly TaskEnvelope[];
  readonly fitDeadlineMs: number;
  readonly limits: DecodeLimits | undefined;
  /** The engine's per-client bounds; a protocol sees only the example counts clients report in the clear. */
  readonly bounds: UpdateBounds;
  /** Sends `tasks` and hands each reply to `accept`; resolves to every failure, unanswered tasks included. */
  dispatch(
    phase: TaskPhase,
    tasks: readonly TaskEnvelope[],
    deadlineMs: number,
    accept: AcceptReply,
  ): Promise<ClientFailure[]>;
  /** Reports a client the protocol dropped for a reason no single reply showed. */
  failed(phase: TaskPhase, failure: ClientFailure): void;
}

/** A client's stage-0 reply (see readStageOpening), refused when it claims more examples than the engine allows. */
export function readOpening(
  run: StageRun,
  frame: Uint8Array,
  task: SentTask,
  protocol: StageProtocol,
): ReturnType<typeof readStageOpening> {
  const opening = readStageOpening(frame, task, protocol, run.limits);
  if (!opening.ok) return opening;
  const refused = run.bounds.countRefusal(task.clientId, opening.value.reported.numExamples);
  return refused ? { ok: false, failure: refused } : opening;
}

export type Collected =
  | { readonly ok: true; readonly sum: SecureSum; readonly failures: readonly ClientFailure[] }
  | { readonly ok: false; readonly reason: string; readonly failures: readonly ClientFailure[] };

/** A protocol's stage timeout from its config key (default 30 s); CONFIG_INVALID unless finite and > 0. */
export function resolveStageTimeout(value: number | undefined, key: string): number {
  const ms = value ?? 30_000;
  if (!(Number.isFinite(ms) && ms > 0)) {
    throw new FlotillaError('CONFIG_INVALID', `${key}: expected a finite number > 0, got ${ms}`, { key });
  }
  return ms;
}

/**
 * Records a simulation in a run database through the same Storage the server writes (DESIGN: every run, simulated
 * or deployed, can be listed, shown, compared and exported the same way). The engine commits each round through the
 * recording's committer (round record, global model, strategy state and privacy ledger in one transaction); the
 * recording listens to the run's events for failed attempts, status changes and per-client totals, and stores the
 * final model's diagnostics (ROC, PR, calibration, confusion) for the report.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { FlotillaError, type ParameterSet } from '../core/index.js';
import type { EngineEmitter, RunResult } from '../engine/index.js';
import type { ModelDiagnostics } from '../ml/index.js';
import { StorageCommitter, type Storage } from '../storage/index.js';
import { SqliteStorage } from '../storage/sqlite/index.js';
import { ClientTally } from '../telemetry/index.js';

export interface RecordingSpec {
  readonly dbPath: string;
  /** Default: `sim-<UTC yyyymmdd-hhmmss>-<4 hex>`. */
  readonly runId?: string;
  readonly strategy: string;
  /** The run's resolved configuration as stored with it (compared by `flotilla runs compare`). */
  readonly config: unknown;
  readonly initialParams: ParameterSet;
  /** Rounds whose global model is kept; default 1 (the final model). */
  readonly keepCheckpoints?: number;
}

/** A fresh simulation run id: sortable by time, unique across runs started in the same second. */
export function simulationRunId(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `sim-${stamp}-${randomBytes(2).toString('hex')}`;
}

export class RunRecording {
  readonly runId: string;
  readonly committer: StorageCommitter;
  private readonly tally = new ClientTally();
  private readonly pending: Promise<unknown>[] = [];

  private constructor(
    private readonly storage: Storage,
    runId: string,
  ) {
    this.runId = runId;
    this.committer = new StorageCommitter(storage, runId);
  }

  /** Opens (creating) the database and creates the run; STORAGE_CONFLICT when the run id is taken. */
  static async open(spec: RecordingSpec): Promise<RunRecording> {
    const onDisk = spec.dbPath !== ':memory:';
    if (onDisk) mkdirSync(dirname(spec.dbPath), { recursive: true });
    const storage = SqliteStorage.open(spec.dbPath);
    const runId = spec.runId ?? simulationRunId();
    try {
      await storage.createRun({
        runId,
        name: runId,
        strategy: spec.strategy,
        config: spec.config,
        initialParams: spec.initialParams,
        keepCheckpoints: spec.keepCheckpoints ?? 1,
      });
      return new RunRecording(storage, runId);
    } catch (error) {
      await storage.close();
      if (error instanceof FlotillaError && error.code === 'STORAGE_CONFLICT') {
        throw new FlotillaError(
          'STORAGE_CONFLICT',
          `run id "${runId}" is already recorded in ${spec.dbPath}; a simulation needs a new --run-id`,
          { runId },
        );
      }
      throw error;
    }
  }

  /** Subscribes to the run's events (before it starts). */
  attach(events: EngineEmitter): void {
    this.tally.attach(events);
    events.on('run-started', () => this.later(this.storage.updateRunStatus(this.runId, 'running')));
    events.on('round-retried', ({ round, failed }) =>
      this.later(this.storage.recordEvent(this.runId, { kind: 'attempt-failed', round, data: failed })),
    );
  }

  /** Stores how the run ended, the per-client totals and the final model's diagnostics (when given). */
  async finish(
    outcome: { readonly result: RunResult } | { readonly error: unknown },
    diagnostics?: ModelDiagnostics,
  ): Promise<void> {
    await Promise.all(this.pending);
    const round = 'result' in outcome ? outcome.result.lastRound : undefined;
    await this.storage.recordEvent(this.runId, {
      kind: 'client-totals',
      ...(round !== undefined && round >= 1 ? { round } : {}),
      data: this.tally.totals(),
    });
    if (diagnostics && round !== undefined && round >= 1) {
      await this.storage.recordEvent(this.runId, { kind: 'final-diagnostics', round, data: diagnostics });
    }
    if ('result' in outcome) {
      const { status, reason } = outcome.result;
      await this.storage.updateRunStatus(this.runId, status === 'aborted' ? 'aborted' : 'completed', reason);
    } else {
      const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
      await this.storage.updateRunStatus(this.runId, 'failed', message);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.pending);
    await this.storage.close();
  }

  private later(write: Promise<unknown>): void {
    // Kept for finish(); a failed write surfaces there rather than as an unhandled rejection now.
    write.catch(() => undefined);
    this.pending.push(write);
  }
}

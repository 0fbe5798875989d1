/**
 * Per-client totals over a run, from the engine's client events: results and failures (by cause) per phase, the
 * examples a client last trained on and its time in fit. Round records keep who took part in each round; this keeps
 * what a per-client table of a run report needs that records do not hold.
 */
import type { RunEventSource } from './run-events.js';

export interface ClientTotals {
  readonly clientId: string;
  /** Fit results aggregated or not (a result counts once it arrived valid). */
  fitResults: number;
  evaluateResults: number;
  /** Examples of the client's last fit result. */
  numExamples?: number;
  /** Sum of the client's fit durations as the server measured them (dispatch to result). */
  fitMs: number;
  /** Failures by cause, all phases. */
  readonly failures: Record<string, number>;
}

export class ClientTally {
  private readonly clients = new Map<string, ClientTotals>();

  attach(source: RunEventSource): () => void {
    const offs = [
      source.on('client-result', (e) => {
        const c = this.client(e.clientId);
        if (e.phase === 'fit') {
          c.fitResults++;
          if (e.numExamples !== undefined) c.numExamples = e.numExamples;
          c.fitMs += e.durationMs ?? 0;
        } else if (e.phase === 'evaluate') c.evaluateResults++;
      }),
      source.on('client-failed', ({ failure }) => {
        const f = this.client(failure.clientId).failures;
        f[failure.cause] = (f[failure.cause] ?? 0) + 1;
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Every client seen, ordered by id. */
  totals(): ClientTotals[] {
    return [...this.clients.values()].sort((a, b) => (a.clientId < b.clientId ? -1 : 1));
  }

  private client(clientId: string): ClientTotals {
    let c = this.clients.get(clientId);
    if (!c)
      this.clients.set(
        clientId,
        (c = { clientId, fitResults: 0, evaluateResults: 0, fitMs: 0, failures: {} }),
      );
    return c;
  }
}

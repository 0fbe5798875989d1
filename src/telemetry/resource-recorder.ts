/**
 * Records resources with the run (issue 13): at each committed round, one 'resources' event holding what every
 * client reported for that round's tasks and what the server process itself used. Stored through the run's events
 * (storage.recordEvent: no migration), so `flotilla runs show --json` and the dashboard read them back. It also keeps
 * each client's latest report for the admin API's client table.
 */
import type { ResourceReport } from '../core/index.js';
import type { MetricsEventSource } from './metrics-events.js';

/**
 * The server process's own use, measured at a commit.
 * @example
 * ```ts
 * const usage: ServerResources = { cpuMs: 5200, rssBytes: 2.1e8, peakRssBytes: 2.4e8, heapUsedBytes: 9e7 };
 * ```
 */
export interface ServerResources {
  /** CPU time (user + system) since the process started. */
  readonly cpuMs: number;
  readonly rssBytes: number;
  /** The process's peak resident set so far. */
  readonly peakRssBytes: number;
  readonly heapUsedBytes: number;
}

/**
 * What a 'resources' event holds: reports by client, then by phase (fit, evaluate), and the server's own.
 * @example
 * ```ts
 * const data: RoundResources = { clients: { alice: { fit: { fitMs: 410 } } }, server: serverResources() };
 * ```
 */
export interface RoundResources {
  readonly clients: Record<string, Record<string, ResourceReport>>;
  readonly server: ServerResources;
}

/**
 * The server process's resources now.
 * @example
 * ```ts
 * console.log(serverResources().rssBytes);
 * ```
 */
export function serverResources(): ServerResources {
  const { user, system } = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    cpuMs: (user + system) / 1000,
    rssBytes: memory.rss,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: memory.heapUsed,
  };
}

export type RecordResources = (event: {
  readonly kind: 'resources';
  readonly round: number;
  readonly data: RoundResources;
}) => Promise<unknown>;

export class ResourceRecorder {
  /** Reports of rounds not committed yet (a round's evaluation comes after its fit, and retries share a round). */
  private readonly pending = new Map<number, Record<string, Record<string, ResourceReport>>>();
  private readonly latest = new Map<
    string,
    ResourceReport & { readonly round: number; readonly phase: string }
  >();

  constructor(private readonly record: RecordResources) {}

  /** Each client's latest report, with its round and phase. */
  latestByClient(): Record<string, ResourceReport & { readonly round: number; readonly phase: string }> {
    return Object.fromEntries(this.latest);
  }

  attach(events: MetricsEventSource): () => void {
    const offs = [
      events.on('client-result', ({ round, phase, clientId, resources }) => {
        if (!resources) return;
        let clients = this.pending.get(round);
        if (!clients) this.pending.set(round, (clients = {}));
        (clients[clientId] ??= {})[phase] = resources;
        this.latest.set(clientId, { ...resources, round, phase });
      }),
      events.on('round-committed', ({ record }) => {
        const clients = this.pending.get(record.round) ?? {};
        // Earlier rounds can no longer commit; a report for them would never be written.
        for (const round of this.pending.keys()) if (round <= record.round) this.pending.delete(round);
        void this.record({
          kind: 'resources',
          round: record.round,
          data: { clients, server: serverResources() },
        }).catch(
          () => undefined, // storage closing as the run ends: the round itself is committed
        );
      }),
    ];
    return () => offs.forEach((off) => off());
  }
}

/**
 * The server's LiveState (telemetry/live): built from what storage already holds about the run (committed rounds of
 * a resumed run, the client registry, stored alerts), then fed by the engine's, the pool's and the alert bus's
 * events. The engine does not know it exists.
 */
import type { EngineEmitter } from '../engine/index.js';
import type { Storage } from '../storage/index.js';
import type { AlertBus } from '../telemetry/alerts/index.js';
import { serverResources } from '../telemetry/resource-recorder.js';
import type { AlertView, PrivacyView } from '../telemetry/live/dashboard-state.js';
import { LiveState } from '../telemetry/live/live-state.js';
import type { RoundRecordLike } from '../telemetry/live/summary.js';
import type { WebSocketClientPool } from '../transport/websocket/index.js';

export interface LiveSources {
  readonly storage: Storage;
  readonly runId: string;
  readonly rounds: number;
  /** Clients the first round waits for. */
  readonly minClients: number;
  readonly engine: { readonly events: EngineEmitter };
  readonly pool: WebSocketClientPool;
  readonly alerts?: AlertBus;
  readonly privacy?: Omit<PrivacyView, 'round' | 'exhaustedAtRound'>;
}

export async function startLiveState(sources: LiveSources): Promise<LiveState> {
  const { storage, runId } = sources;
  const [stored, registry, alertEvents] = await Promise.all([
    storage.rounds(runId),
    storage.listClients(),
    storage.events(runId, { kind: 'alert' }),
  ]);
  const live = new LiveState({
    runId,
    rounds: sources.rounds,
    phase: 'waiting',
    storedRounds: stored.map(({ committedAt, record }) => ({
      committedAt,
      record: record as RoundRecordLike,
    })),
    registry,
    alerts: alertEvents.map((e) => e.data as AlertView),
    ...(sources.privacy ? { privacy: sources.privacy } : {}),
    serverUsage: serverResources,
  });
  live.setRun({ waiting: { needed: sources.minClients, connected: sources.pool.available().length } });
  for (const { clientId, runtime } of sources.pool.connected()) {
    live.state.clients[clientId] = {
      ...(live.state.clients[clientId] ?? { id: clientId, rounds: 0, failures: {} }),
      connected: true,
      ...(runtime ? { runtime } : {}),
    };
  }
  live.attach(sources.engine.events, sources.pool.events, sources.alerts);
  return live;
}

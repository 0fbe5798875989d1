/**
 * A server's alerts: the rules on the engine's and the pool's events, each alert stored with the run and logged,
 * webhook attempts logged, and what /api/status says about them.
 */
import type { EngineEmitter } from '../engine/index.js';
import type { Storage } from '../storage/index.js';
import { RunAlerts, type AlertsConfig } from '../telemetry/index.js';
import type { WebSocketClientPool } from '../transport/websocket/index.js';
import type { ServerLogEvent } from './server.js';

/** Alerts /api/status lists (the latest; `counts` has every rule's total). */
const RECENT_ALERTS = 20;

export function startServerAlerts(
  config: AlertsConfig,
  parts: {
    readonly runId: string;
    readonly storage: Storage;
    readonly engine: EngineEmitter;
    readonly pool: WebSocketClientPool;
    readonly log: ((event: ServerLogEvent) => void) | undefined;
    /** The run has rounds left: until the first starts it waits for minClients, which counts as waiting. */
    readonly waitingAtStart: boolean;
  },
): RunAlerts {
  const { log } = parts;
  const alerts = new RunAlerts(config, {
    runId: parts.runId,
    store: parts.storage,
    onDelivery: (delivery) => log?.({ event: 'alert-delivery', ...delivery }),
  });
  alerts.bus.on('alert', ({ at: _at, ...alert }) => log?.({ event: 'alert', ...alert }));
  alerts.bus.on('notice', (notice) => log?.({ event: 'alert-notice', ...notice }));
  alerts.attach(parts.engine, { connections: parts.pool.events, waitingAtStart: parts.waitingAtStart });
  return alerts;
}

/** The `alerts` of /api/status: those still firing, the latest raised, and how many each rule raised. */
export function alertStatus(alerts: RunAlerts) {
  return {
    firing: alerts.firing(),
    recent: alerts.recent.recent().slice(-RECENT_ALERTS),
    counts: alerts.recent.counts(),
  };
}

/**
 * `attachAlerts(events, rules, bus)`: subscribes every anomaly rule to a run's events (and, on a server, to its
 * connection events) and publishes what they find on `bus`. The engine never calls it (DESIGN principle 5).
 */
import { attachConnectionRules } from './connection-rules.js';
import { attachRoundRules } from './round-rules.js';
import { attachRunRules } from './run-rules.js';
import { AlertState } from './state.js';
import type { AlertBus, AlertEvent, AlertEventSource, AlertRules, ConnectionEventSource } from './types.js';

export interface AttachAlertsOptions {
  /** A server's connection events, for client-flapping (a simulation has none). */
  readonly connections?: ConnectionEventSource;
  /** The run is waiting for clients already (a server before its first round): waiting-for-clients starts now. */
  readonly waitingAtStart?: boolean;
}

export interface AlertMonitor {
  /** Alerts whose condition still holds, oldest first. */
  firing(): AlertEvent[];
  /** Unsubscribes every rule and stops its timers. */
  detach(): void;
}

export function attachAlerts(
  events: AlertEventSource,
  rules: AlertRules,
  bus: AlertBus,
  options: AttachAlertsOptions = {},
): AlertMonitor {
  const state = new AlertState(bus, rules);
  const detachers = [
    attachRoundRules(events, state),
    attachRunRules(events, state, { ...(options.waitingAtStart ? { waitingAtStart: true } : {}) }),
    ...(options.connections ? [attachConnectionRules(options.connections, state)] : []),
  ];
  return {
    firing: () => state.firing(),
    detach: () => detachers.forEach((detach) => detach()),
  };
}

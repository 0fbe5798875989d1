/**
 * Subscribers of the alert bus that keep alerts: the run's event store (kind 'alert', and 'alert-delivery' for each
 * webhook attempt), and a bounded list of the latest alerts for status displays.
 */
import type { AlertBus, AlertEvent } from './types.js';
import type { DeliveryRecord } from './webhooks.js';

/** The part of Storage that records run events (storage/storage.ts), named structurally. */
export interface RunEventRecorder {
  recordEvent(
    runId: string,
    event: { readonly kind: string; readonly round?: number; readonly data?: unknown },
  ): Promise<unknown>;
}

/**
 * Stores every alert with the run and returns the function that stores a delivery attempt. A write that fails
 * (storage closing at shutdown) goes to `onError`; it never reaches the run.
 */
export function storeAlerts(
  bus: AlertBus,
  store: RunEventRecorder,
  runId: string,
  onError: (error: unknown) => void,
): (delivery: DeliveryRecord) => void {
  const record = (kind: string, round: number | undefined, data: unknown) =>
    void store.recordEvent(runId, { kind, ...(round !== undefined ? { round } : {}), data }).catch(onError);
  bus.on('alert', (alert) => record('alert', alert.round, alert));
  return (delivery) => record('alert-delivery', delivery.round, delivery);
}

/** The latest `limit` alerts and how many each rule raised in all. */
export class RecentAlerts {
  private readonly items: AlertEvent[] = [];
  private readonly totals: Record<string, number> = {};

  constructor(
    bus: AlertBus,
    private readonly limit = 50,
  ) {
    bus.on('alert', (alert) => {
      this.items.push(alert);
      if (this.items.length > this.limit) this.items.shift();
      this.totals[alert.rule] = (this.totals[alert.rule] ?? 0) + 1;
    });
  }

  recent(): AlertEvent[] {
    return [...this.items];
  }

  counts(): Readonly<Record<string, number>> {
    return { ...this.totals };
  }
}

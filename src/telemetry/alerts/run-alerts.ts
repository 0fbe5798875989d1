/**
 * A run's alerts end to end: the bus, the rules attached to the run's events, and the subscribers every run has
 * (the latest alerts for status displays, the run's event store when there is one, webhooks). Simulations and
 * servers both use it, so an alert means the same in either.
 */
import { attachAlerts, type AlertMonitor, type AttachAlertsOptions } from './monitor.js';
import { RecentAlerts, storeAlerts, type RunEventRecorder } from './recorder.js';
import { AlertBus, type AlertEvent, type AlertEventSource, type AlertRules } from './types.js';
import { WebhookDelivery, type DeliveryRecord, type WebhookOptions, type WebhookTarget } from './webhooks.js';

export interface AlertsConfig {
  readonly rules: AlertRules;
  readonly webhooks: readonly WebhookTarget[];
  readonly webhookOptions: WebhookOptions;
}

export interface RunAlertsOptions {
  readonly runId?: string;
  /** Stores alerts and delivery attempts with the run (a server's storage). */
  readonly store?: RunEventRecorder;
  /** Every webhook delivery attempt, as recorded. */
  readonly onDelivery?: (delivery: DeliveryRecord) => void;
  /** A store write that failed. */
  readonly onError?: (error: unknown) => void;
}

export class RunAlerts {
  readonly bus = new AlertBus();
  readonly recent: RecentAlerts;
  private readonly webhooks: WebhookDelivery | undefined;
  private monitor: AlertMonitor | undefined;

  constructor(
    private readonly config: AlertsConfig,
    options: RunAlertsOptions = {},
  ) {
    this.recent = new RecentAlerts(this.bus);
    const onError = options.onError ?? (() => undefined);
    const storeDelivery =
      options.store && options.runId !== undefined
        ? storeAlerts(this.bus, options.store, options.runId, onError)
        : undefined;
    if (config.webhooks.length > 0) {
      const webhooks = new WebhookDelivery(
        config.webhooks,
        (delivery) => {
          storeDelivery?.(delivery);
          options.onDelivery?.(delivery);
        },
        config.webhookOptions,
        options.runId !== undefined ? { runId: options.runId } : {},
      );
      this.bus.on('alert', (alert) => webhooks.deliver(alert));
      this.webhooks = webhooks;
    }
  }

  /** Attaches the rules to a run's events (once). */
  attach(events: AlertEventSource, options: AttachAlertsOptions = {}): void {
    this.monitor?.detach();
    this.monitor = attachAlerts(events, this.config.rules, this.bus, options);
  }

  /** Alerts whose condition still holds. */
  firing(): AlertEvent[] {
    return this.monitor?.firing() ?? [];
  }

  /** Detaches the rules and gives webhook deliveries in progress up to `graceMs` to finish. */
  async close(graceMs?: number): Promise<void> {
    this.monitor?.detach();
    await this.webhooks?.close(graceMs);
  }
}

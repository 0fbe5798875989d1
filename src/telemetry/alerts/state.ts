/**
 * Which alerts are firing. A rule reports what it observes (raise when its condition holds, resolve when it does
 * not); an alert is published once when its condition becomes true and a 'resolved' once when it stops, so a client
 * that keeps misbehaving raises one alert, not one per round.
 */
import type { AlertBus, AlertEvent, AlertRuleName, AlertRules } from './types.js';

export type NewAlert = Omit<AlertEvent, 'at'>;

export class AlertState {
  private readonly active = new Map<string, AlertEvent>();
  private readonly off: ReadonlySet<AlertRuleName>;
  private readonly noticed = new Set<AlertRuleName>();

  constructor(
    private readonly bus: AlertBus,
    readonly rules: AlertRules,
    private readonly now: () => number = Date.now,
  ) {
    this.off = new Set(rules.disabled);
  }

  enabled(rule: AlertRuleName): boolean {
    return !this.off.has(rule);
  }

  raise(alert: NewAlert): void {
    const key = keyOf(alert.rule, alert.clientId);
    if (!this.enabled(alert.rule) || this.active.has(key)) return;
    const event: AlertEvent = { ...alert, at: this.now() };
    this.active.set(key, event);
    this.bus.emit('alert', event);
  }

  resolve(rule: AlertRuleName, clientId?: string, round?: number): void {
    const key = keyOf(rule, clientId);
    if (!this.active.delete(key)) return;
    this.bus.emit('resolved', {
      rule,
      ...(clientId !== undefined ? { clientId } : {}),
      ...(round !== undefined ? { round } : {}),
      at: this.now(),
    });
  }

  /** Says once per run why a rule cannot judge it. */
  notice(rule: AlertRuleName, message: string): void {
    if (!this.enabled(rule) || this.noticed.has(rule)) return;
    this.noticed.add(rule);
    this.bus.emit('notice', { rule, message });
  }

  firing(): AlertEvent[] {
    return [...this.active.values()];
  }
}

const keyOf = (rule: AlertRuleName, clientId: string | undefined) => `${rule}\u0000${clientId ?? ''}`;

/**
 * The alerts' config from the `alerts` group (settings/run-alerts.ts): thresholds in the rules' units, and each
 * webhook with its secret read from its file or environment variable (never from the config file itself).
 */
import { FlotillaError } from '../core/index.js';
import { DEFAULT_WEBHOOK_OPTIONS, type AlertsConfig } from '../telemetry/index.js';
import { readSecret } from './secret.js';
import type { RunSettings } from './settings/run-settings.js';

function webhookSecret(hook: { url: string; secretFile?: string; secretEnv?: string }, i: number): string {
  const where = `alerts.webhooks[${i}]`;
  if ((hook.secretFile === undefined) === (hook.secretEnv === undefined)) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `${where}: give "secretFile" or "secretEnv" (the HMAC key of its signature), exactly one`,
      { key: 'alerts' },
    );
  }
  const secret = readSecret({
    flag: where,
    fromFlag: undefined,
    fileFlag: `${where}.secretFile`,
    file: hook.secretFile,
    env: hook.secretEnv ?? '',
    warn: () => undefined,
  });
  if (secret === undefined) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      `${where}: environment variable ${hook.secretEnv} is not set or empty`,
      { key: 'alerts' },
    );
  }
  return secret;
}

/** Undefined when alerts are off (`alerts: false`). */
export function resolveAlerts(group: RunSettings['alerts']): AlertsConfig | undefined {
  if (!group) return undefined;
  return {
    rules: {
      disabled: group.disabled,
      updateNormMads: group.updateNormMads,
      lossDivergence: group.lossDivergence,
      accuracyDrop: group.accuracyDrop,
      flappingDisconnects: group.flappingDisconnects,
      flappingWindowMs: group.flappingWindow * 1000,
      stragglerPercentile: group.stragglerPercentile,
      stragglerFactor: group.stragglerFactor,
      dropoutFraction: group.dropoutFraction,
      privacyWarning: group.privacyWarning,
      waitingMs: group.waitingTimeout * 1000,
    },
    webhooks: group.webhooks.map((hook, i) => ({ url: hook.url, secret: webhookSecret(hook, i) })),
    webhookOptions: {
      ...DEFAULT_WEBHOOK_OPTIONS,
      attempts: group.webhookAttempts,
      backoffMs: group.webhookBackoff * 1000,
      timeoutMs: group.webhookTimeout * 1000,
    },
  };
}

/** One line per alert for a terminal or a log: "alert critical loss-non-finite round 3 client-2: ...". */
export function alertLine(alert: {
  readonly rule: string;
  readonly severity: string;
  readonly round?: number;
  readonly clientId?: string;
  readonly message: string;
}): string {
  const where = [
    alert.round !== undefined ? `round ${alert.round}` : undefined,
    alert.clientId !== undefined ? alert.clientId : undefined,
  ]
    .filter(Boolean)
    .join(' ');
  return `alert ${alert.severity} ${alert.rule}${where ? ` (${where})` : ''}: ${alert.message}`;
}

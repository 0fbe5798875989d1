/** The `alerts` settings: on by default, thresholds in the rules' units, disabled rules, webhooks and their secrets. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { ALERT_RULES, DEFAULT_ALERT_RULES } from '../telemetry/index.js';
import { resolveAlerts } from './alert-options.js';
import { RUN_COMMAND } from './commands/simulate.js';
import { configLayer, readSettings } from './settings/index.js';
import { RUN_SCHEMA } from './settings/run-settings.js';

const fromFile = (values: unknown) => readSettings(RUN_SCHEMA, [configLayer(values, 'run.yaml')]).settings;
const dir = mkdtempSync(join(tmpdir(), 'flotilla-alert-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isFlotillaError(error, 'CONFIG_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('alerts settings', () => {
  it('are on by default with the default rules, and off with alerts: false or --no-alerts', () => {
    expect(resolveAlerts(fromFile({}).alerts)).toEqual({
      rules: DEFAULT_ALERT_RULES,
      webhooks: [],
      webhookOptions: { attempts: 5, backoffMs: 1000, timeoutMs: 10_000, maxPending: 100 },
    });
    expect(resolveAlerts(fromFile({ alerts: false }).alerts)).toBeUndefined();
    expect(RUN_COMMAND.read(['--no-alerts']).settings.alerts).toBeUndefined();
  });

  it('take thresholds in seconds, disabled rules from a config file, thresholds as flags too', () => {
    const file = resolveAlerts(
      fromFile({ alerts: { waitingTimeout: 30, flappingWindow: 60, disabled: ['straggler', 'dropout'] } })
        .alerts,
    )!;
    expect(file.rules).toMatchObject({
      waitingMs: 30_000,
      flappingWindowMs: 60_000,
      disabled: ['straggler', 'dropout'],
    });
    const flags = RUN_COMMAND.read(['--alerts.update-norm-mads', '8', '--alerts.waiting-timeout', '5']);
    expect(resolveAlerts(flags.settings.alerts)!.rules).toMatchObject({ updateNormMads: 8, waitingMs: 5000 });
    // A bad member is named, not the whole group.
    expect(errorOf(() => fromFile({ alerts: { disabled: ['straggler', 'stragler'] } }))).toBe(
      `run.yaml: "alerts.disabled.1" names no rule; rules: ${ALERT_RULES.join(', ')}, got "stragler"`,
    );
    expect(errorOf(() => RUN_COMMAND.read(['--alerts.update-norm-mads', '0']))).toBe(
      'option --alerts.update-norm-mads: "alerts.updateNormMads" must be > 0, got 0',
    );
  });

  it('set webhooks in a config file only, each with exactly one secret source', () => {
    expect(errorOf(() => RUN_COMMAND.read(['--alerts.webhooks', 'http://x']))).toMatch(
      /unknown option --alerts\.webhooks/,
    );
    const secretFile = join(dir, 'hook.secret');
    writeFileSync(secretFile, 'from-file\n');
    process.env['FLOTILLA_TEST_HOOK_SECRET'] = 'from-env';
    const hooks = resolveAlerts(
      fromFile({
        alerts: {
          webhooks: [
            { url: 'https://hooks.example.org/a', secretFile },
            { url: 'http://127.0.0.1:9000/b', secretEnv: 'FLOTILLA_TEST_HOOK_SECRET' },
          ],
          webhookBackoff: 0.5,
        },
      }).alerts,
    )!;
    expect(hooks.webhooks).toEqual([
      { url: 'https://hooks.example.org/a', secret: 'from-file' },
      { url: 'http://127.0.0.1:9000/b', secret: 'from-env' },
    ]);
    expect(hooks.webhookOptions.backoffMs).toBe(500);
    expect(
      errorOf(() =>
        resolveAlerts(fromFile({ alerts: { webhooks: [{ url: 'https://h.example/x' }] } }).alerts),
      ),
    ).toBe(
      'alerts.webhooks[0]: give "secretFile" or "secretEnv" (the HMAC key of its signature), exactly one',
    );
    expect(
      errorOf(() =>
        resolveAlerts(
          fromFile({ alerts: { webhooks: [{ url: 'https://h.example/x', secretEnv: 'FLOTILLA_UNSET_X' }] } })
            .alerts,
        ),
      ),
    ).toBe('alerts.webhooks[0]: environment variable FLOTILLA_UNSET_X is not set or empty');
    expect(
      errorOf(() => fromFile({ alerts: { webhooks: [{ url: 'ftp://h.example/x', secretFile }] } })),
    ).toMatch(/alerts/);
  });
});

/**
 * The `alerts` group: anomaly rules on the run's events and the webhooks alerts go to (telemetry/alerts). On by
 * default; `alerts: false` (or `--no-alerts`) turns every rule off. Thresholds default to DEFAULT_ALERT_RULES.
 * `disabled` and `webhooks` are lists, so they are set in a config file only.
 */
import { z } from 'zod';
import {
  ALERT_RULES,
  DEFAULT_ALERT_RULES as D,
  DEFAULT_WEBHOOK_OPTIONS as W,
} from '../../telemetry/index.js';

const ruleName = z.enum(ALERT_RULES, { error: () => `names no rule; rules: ${ALERT_RULES.join(', ')}` });

const ALERT_SHAPE = {
  disabled: z
    .array(ruleName)
    .default([])
    .meta({ description: `rules that never fire, of ${ALERT_RULES.join(', ')}` }),
  updateNormMads: z.number().gt(0).default(D.updateNormMads).meta({
    description:
      "update-norm-outlier: a client's update norm this many robust deviations (1.4826 MAD) from the round's median",
  }),
  lossDivergence: z.number().gt(1).default(D.lossDivergence).meta({
    description: 'loss-divergence: the loss above this factor times the lowest loss the run reached',
  }),
  accuracyDrop: z.number().gt(0).max(1).default(D.accuracyDrop).meta({
    description: 'accuracy-drop: accuracy this much (absolute) below the best the run reached',
  }),
  flappingDisconnects: z.int().min(2).default(D.flappingDisconnects).meta({
    description: 'client-flapping: disconnects of one client within flappingWindow (server)',
  }),
  flappingWindow: z
    .number()
    .gt(0)
    .default(D.flappingWindowMs / 1000)
    .meta({
      description: 'client-flapping: the window the disconnects are counted in',
      unit: 'seconds',
    }),
  stragglerPercentile: z.number().min(0).max(100).default(D.stragglerPercentile).meta({
    description: "straggler: the percentile of the round's fit times a straggler is compared with",
  }),
  stragglerFactor: z.number().gt(1).default(D.stragglerFactor).meta({
    description: 'straggler: a fit slower than this factor times that percentile (and by 1 s at least)',
  }),
  dropoutFraction: z.number().min(0).lt(1).default(D.dropoutFraction).meta({
    description: 'dropout: more than this fraction of the selected clients failed in an attempt',
  }),
  privacyWarning: z.number().gt(0).lt(1).default(D.privacyWarning).meta({
    description: 'privacy-budget-warning: epsilon spent reached this fraction of targetEpsilon',
  }),
  waitingTimeout: z
    .number()
    .gt(0)
    .default(D.waitingMs / 1000)
    .meta({
      description: 'waiting-for-clients: the run waited this long for clients',
      unit: 'seconds',
    }),
  webhooks: z
    .array(
      z.strictObject({
        url: z.url({ protocol: /^https?$/ }),
        secretFile: z.string().min(1).optional(),
        secretEnv: z.string().min(1).optional(),
      }),
    )
    .default([])
    .meta({
      description:
        '[{ url, secretFile | secretEnv }]: each alert is POSTed as signed JSON (X-Flotilla-Signature)',
    }),
  webhookAttempts: z.int().min(1).max(20).default(W.attempts).meta({
    description: 'attempts per webhook delivery (retried on network errors, 429 and 5xx)',
  }),
  webhookBackoff: z
    .number()
    .gt(0)
    .default(W.backoffMs / 1000)
    .meta({
      description: 'pause before the second attempt; each later pause doubles',
      unit: 'seconds',
    }),
  webhookTimeout: z
    .number()
    .gt(0)
    .default(W.timeoutMs / 1000)
    .meta({
      description: 'time one webhook attempt may take',
      unit: 'seconds',
    }),
};

const alertsObject = z.strictObject(ALERT_SHAPE);

export const ALERT_SETTINGS = {
  alerts: z
    .union([z.boolean(), alertsObject])
    .default(true)
    .transform((value) => (value === true ? alertsObject.parse({}) : value || undefined))
    .meta({
      description:
        'anomaly rules and alerts (on by default; false turns them off). In a config file a mapping of the keys below',
    }),
};

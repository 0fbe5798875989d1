/**
 * Delivers alerts to webhooks: a signed JSON POST (signature.ts), retried with exponential backoff on network
 * errors, timeouts, 429 and 5xx, each attempt reported (the caller records it as an 'alert-delivery' event).
 * Deliveries run beside the run and never block it; at most `maxPending` are in progress, more are dropped (and
 * reported), so memory stays bounded when a receiver is down.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { FlotillaError } from '../../core/index.js';
import { DELIVERY_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER, signWebhook } from './signature.js';
import type { AlertEvent } from './types.js';

export interface WebhookTarget {
  readonly url: string;
  /** The shared secret of the HMAC signature. */
  readonly secret: string;
}

export interface WebhookOptions {
  /** Attempts per delivery, the first included. */
  readonly attempts: number;
  /** Pause before the second attempt; each later pause doubles. */
  readonly backoffMs: number;
  /** Time one attempt may take. */
  readonly timeoutMs: number;
  /** Deliveries in progress (waiting to retry included) beyond which new ones are dropped. */
  readonly maxPending: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  attempts: 5,
  backoffMs: 1000,
  timeoutMs: 10_000,
  maxPending: 100,
};

export type DeliveryStatus = 'delivered' | 'retrying' | 'failed' | 'dropped' | 'abandoned';

/** One delivery attempt (or a delivery that never got one), as recorded with the run. */
export interface DeliveryRecord {
  readonly deliveryId: string;
  /** The webhook's URL without credentials or query. */
  readonly url: string;
  readonly rule: string;
  readonly round?: number;
  readonly clientId?: string;
  readonly attempt: number;
  readonly status: DeliveryStatus;
  readonly httpStatus?: number;
  readonly error?: string;
  /** When status is 'retrying': the pause before the next attempt. */
  readonly retryInMs?: number;
}

/** The URL of a webhook as logs may show it: no user, password or query string (they may hold secrets). */
export function redactUrl(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

/** Checks a webhook URL: http or https, parseable; CONFIG_INVALID otherwise. */
export function webhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new FlotillaError('CONFIG_INVALID', `alerts.webhooks: "${raw}" is not a URL`, { key: 'alerts' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FlotillaError('CONFIG_INVALID', `alerts.webhooks: "${redactUrl(url)}" must be http or https`, {
      key: 'alerts',
    });
  }
  return url;
}

type Outcome = { readonly httpStatus: number } | { readonly error: string };

function post(
  url: URL,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal,
) {
  return new Promise<Outcome>((resolve) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      timeout: timeoutMs,
      signal,
    });
    req.on('response', (res) => {
      res.resume(); // the body is not needed; draining frees the socket
      res.on('end', () => resolve({ httpStatus: res.statusCode ?? 0 }));
      res.on('error', (error) => resolve({ error: error.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs} ms`)));
    req.on('error', (error) => resolve({ error: error.message }));
    req.end(body);
  });
}

const retryable = (outcome: Outcome) =>
  'error' in outcome || outcome.httpStatus === 429 || outcome.httpStatus >= 500;

export class WebhookDelivery {
  private readonly targets: readonly { readonly url: URL; readonly secret: string }[];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(
    targets: readonly WebhookTarget[],
    private readonly record: (delivery: DeliveryRecord) => void,
    private readonly options: WebhookOptions = DEFAULT_WEBHOOK_OPTIONS,
    /** Sent with every alert (e.g. the run id). */
    private readonly context: Readonly<Record<string, unknown>> = {},
  ) {
    this.targets = targets.map((t) => ({ url: webhookUrl(t.url), secret: t.secret }));
  }

  /** Deliveries in progress now (bounded by maxPending). */
  get pending(): number {
    return this.inFlight.size;
  }

  /** Starts delivering `alert` to every webhook; returns at once. */
  deliver(alert: AlertEvent): void {
    if (this.closed) return;
    for (const target of this.targets) {
      const base = {
        deliveryId: randomUUID(),
        url: redactUrl(target.url),
        rule: alert.rule,
        ...(alert.round !== undefined ? { round: alert.round } : {}),
        ...(alert.clientId !== undefined ? { clientId: alert.clientId } : {}),
      };
      if (this.inFlight.size >= this.options.maxPending) {
        this.record({
          ...base,
          attempt: 0,
          status: 'dropped',
          error: `${this.options.maxPending} deliveries pending`,
        });
        continue;
      }
      const body = JSON.stringify({ ...this.context, deliveryId: base.deliveryId, alert });
      const run: Promise<void> = this.run(target, body, base).finally(() => this.inFlight.delete(run));
      this.inFlight.add(run);
    }
  }

  private async run(
    target: { readonly url: URL; readonly secret: string },
    body: string,
    base: Omit<DeliveryRecord, 'attempt' | 'status'>,
  ): Promise<void> {
    const { attempts, backoffMs, timeoutMs } = this.options;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.abort.signal.aborted) {
        this.record({ ...base, attempt, status: 'abandoned', error: 'shutting down' });
        return;
      }
      const timestamp = String(Date.now());
      const outcome = await post(
        target.url,
        body,
        {
          'content-type': 'application/json',
          'user-agent': 'flotilla-alerts',
          [TIMESTAMP_HEADER]: timestamp,
          [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body),
          [DELIVERY_HEADER]: base.deliveryId,
        },
        timeoutMs,
        this.abort.signal,
      );
      const result = 'error' in outcome ? { error: outcome.error } : { httpStatus: outcome.httpStatus };
      if ('httpStatus' in outcome && outcome.httpStatus >= 200 && outcome.httpStatus < 300) {
        this.record({ ...base, attempt, status: 'delivered', ...result });
        return;
      }
      if (!retryable(outcome) || attempt === attempts) {
        this.record({ ...base, attempt, status: 'failed', ...result });
        return;
      }
      const retryInMs = backoffMs * 2 ** (attempt - 1);
      this.record({ ...base, attempt, status: 'retrying', ...result, retryInMs });
      await sleep(retryInMs, this.abort.signal);
    }
  }

  /**
   * Stops taking alerts and waits up to `graceMs` for deliveries in progress; what is left is abandoned (its
   * request aborted, recorded as 'abandoned').
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    if (this.inFlight.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)));
    await Promise.race([Promise.all([...this.inFlight]), grace]);
    clearTimeout(timer);
    this.abort.abort();
    await Promise.all([...this.inFlight]);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

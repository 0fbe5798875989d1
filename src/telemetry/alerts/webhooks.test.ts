/**
 * Webhooks against a real HTTP receiver on loopback: the receiver verifies the HMAC signature over the timestamp and
 * the body, a failing receiver (500, then 200) is retried with the attempts recorded in the run's SQLite store, and
 * deliveries stay bounded when a receiver hangs.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ParameterLayout, ParameterSet } from '../../core/index.js';
import { SqliteStorage } from '../../storage/sqlite/index.js';
import {
  DEFAULT_ALERT_RULES,
  RunAlerts,
  WebhookDelivery,
  signWebhook,
  verifyWebhook,
  type AlertEvent,
  type DeliveryRecord,
} from './index.js';

const SECRET = 'the-webhook-secret';

interface Received {
  readonly body: string;
  readonly signature?: string;
  readonly timestamp?: string;
  readonly delivery?: string;
}

/** A receiver answering each request with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const header = (name: string) => req.headers[name] as string | undefined;
      received.push({
        body,
        ...(header('x-flotilla-signature') ? { signature: header('x-flotilla-signature') } : {}),
        ...(header('x-flotilla-timestamp') ? { timestamp: header('x-flotilla-timestamp') } : {}),
        ...(header('x-flotilla-delivery') ? { delivery: header('x-flotilla-delivery') } : {}),
      });
      res.statusCode = statuses[Math.min(received.length, statuses.length) - 1]!;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  servers.push(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/flotilla?key=s3cret`,
    received,
    server,
  };
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const alert: AlertEvent = {
  rule: 'update-norm-outlier',
  severity: 'warning',
  round: 3,
  clientId: 'client-4',
  message: 'client "client-4" sent an update of L2 norm 12.0',
  value: 21.5,
  threshold: 5,
  at: 1_700_000_000_000,
};

const fast = { attempts: 4, backoffMs: 20, timeoutMs: 5000, maxPending: 10 };

describe('signatures', () => {
  it('verifies only the exact body, with its timestamp, within the age limit', () => {
    const body = JSON.stringify({ alert });
    const timestamp = String(Date.now());
    const signature = signWebhook(SECRET, timestamp, body);
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyWebhook(SECRET, { signature, timestamp }, body)).toBe(true);
    expect(verifyWebhook(SECRET, { signature, timestamp }, body.replace('12.0', '1.0'))).toBe(false);
    expect(verifyWebhook('another-secret', { signature, timestamp }, body)).toBe(false);
    expect(verifyWebhook(SECRET, { signature, timestamp: String(Number(timestamp) + 1) }, body)).toBe(false);
    expect(verifyWebhook(SECRET, { signature, timestamp }, body, { now: Number(timestamp) + 600_000 })).toBe(
      false,
    );
  });
});

describe('webhook delivery', () => {
  it('POSTs signed JSON the receiver verifies, and retries a 500 with backoff, recording every attempt', async () => {
    const hook = await receiver([500, 200]);
    const storage = SqliteStorage.open(':memory:');
    const layout = new ParameterLayout([{ name: 'w', shape: [1] }]);
    await storage.createRun({
      runId: 'run-1',
      name: 'run-1',
      strategy: 'fedavg',
      config: null,
      initialParams: new ParameterSet(layout, new Float32Array(1)),
    });
    const alerts = new RunAlerts(
      { rules: DEFAULT_ALERT_RULES, webhooks: [{ url: hook.url, secret: SECRET }], webhookOptions: fast },
      { runId: 'run-1', store: storage },
    );
    alerts.bus.emit('alert', alert);
    await expect
      .poll(async () => (await storage.events('run-1', { kind: 'alert-delivery' })).length, {
        timeout: 20_000,
      })
      .toBe(2);
    await alerts.close();

    expect(hook.received).toHaveLength(2);
    for (const r of hook.received) {
      expect(verifyWebhook(SECRET, { signature: r.signature, timestamp: r.timestamp }, r.body)).toBe(true);
      expect(JSON.parse(r.body)).toEqual({ runId: 'run-1', deliveryId: r.delivery, alert });
    }
    // One delivery, two attempts: the same delivery id, each attempt signed with its own timestamp.
    expect(hook.received[1]!.delivery).toBe(hook.received[0]!.delivery);

    const stored = await storage.events('run-1');
    expect(stored.map((e) => [e.kind, e.round])).toEqual([
      ['alert', 3],
      ['alert-delivery', 3],
      ['alert-delivery', 3],
    ]);
    expect(stored[0]!.data).toEqual(alert);
    const attempts = stored.slice(1).map((e) => e.data as DeliveryRecord);
    expect(attempts).toEqual([
      expect.objectContaining({
        attempt: 1,
        status: 'retrying',
        httpStatus: 500,
        retryInMs: 20,
        rule: alert.rule,
      }),
      expect.objectContaining({ attempt: 2, status: 'delivered', httpStatus: 200 }),
    ]);
    // The recorded URL keeps no query string (it may hold a secret).
    expect(attempts[0]!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hooks\/flotilla$/);
    await storage.close();
  });

  it('gives up after the last attempt and does not retry a 4xx', async () => {
    const down = await receiver([503]);
    const refusing = await receiver([401]);
    const records: DeliveryRecord[] = [];
    const delivery = new WebhookDelivery(
      [
        { url: down.url, secret: SECRET },
        { url: refusing.url, secret: SECRET },
      ],
      (r) => records.push(r),
      { ...fast, attempts: 3 },
    );
    delivery.deliver(alert);
    await expect.poll(() => records.filter((r) => r.status === 'failed').length, { timeout: 20_000 }).toBe(2);
    expect(down.received).toHaveLength(3);
    expect(refusing.received).toHaveLength(1);
    expect(records.map((r) => `${r.status} ${r.httpStatus}`).sort()).toEqual([
      'failed 401',
      'failed 503',
      'retrying 503',
      'retrying 503',
    ]);
  });

  it('drops deliveries beyond maxPending and abandons those still running at close', async () => {
    // A receiver that never answers: requests hang until the delivery is closed.
    const hang = createServer(() => undefined);
    await new Promise<void>((resolve) => hang.listen(0, '127.0.0.1', resolve));
    const records: DeliveryRecord[] = [];
    const delivery = new WebhookDelivery(
      [{ url: `http://127.0.0.1:${(hang.address() as AddressInfo).port}/`, secret: SECRET }],
      (r) => records.push(r),
      { ...fast, maxPending: 2 },
    );
    for (let i = 0; i < 5; i++) delivery.deliver({ ...alert, round: i + 1 });
    expect(delivery.pending).toBe(2);
    expect(records.map((r) => [r.status, r.round])).toEqual([
      ['dropped', 3],
      ['dropped', 4],
      ['dropped', 5],
    ]);
    await delivery.close(50);
    expect(delivery.pending).toBe(0);
    expect(
      records
        .filter((r) => r.status === 'abandoned')
        .map((r) => r.round)
        .sort(),
    ).toEqual([1, 2]);
    hang.closeAllConnections();
    await new Promise((r) => hang.close(r));
  });

  it('refuses a webhook URL that is not http(s)', () => {
    expect(
      () => new WebhookDelivery([{ url: 'ftp://example.org/x', secret: SECRET }], () => undefined),
    ).toThrow(/must be http or https/);
  });
});

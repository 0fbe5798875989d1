/**
 * A real local HTTP receiver for alert webhooks: it keeps every body it is sent and whether its signature verifies
 * with the secret the test configured.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../../src/telemetry/index.js';

export interface ReceivedHook {
  readonly body: string;
  readonly verified: boolean;
}

export interface WebhookReceiver {
  /** `http://127.0.0.1:PORT` (append a path). */
  readonly origin: string;
  readonly hooks: ReceivedHook[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(secret: string): Promise<WebhookReceiver> {
  const hooks: ReceivedHook[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const signature = req.headers['x-flotilla-signature'] as string | undefined;
      const timestamp = req.headers['x-flotilla-timestamp'] as string | undefined;
      hooks.push({ body, verified: verifyWebhook(secret, { signature, timestamp }, body) });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hooks,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

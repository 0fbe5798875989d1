/**
 * Alerts on a real TLS server with SQLite: a client that connects and drops repeatedly (a raw peer driving the
 * pool's connection events) raises exactly one client-flapping alert, which is stored with the run, logged, listed
 * by /api/status and `flotilla status`, and delivered to a real local HTTP receiver that verifies its signature.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverConfigFromOptions } from '../src/cli/commands/server.js';
import { readServerSettings } from '../src/public/settings.js';
import {
  createCertificates,
  startServer,
  type RunningServer,
  type ServerLogEvent,
} from '../src/server/index.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import type { DeliveryRecord } from '../src/telemetry/index.js';
import { flotilla } from './support/federation.js';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.js';
import { helloFrame, openPeer } from './support/raw-peer.js';

const ADMIN_TOKEN = 'the-operators-admin-token';
const SECRET = 'shared-webhook-secret';
let dir: string;
let ca: Buffer;
let server: RunningServer;
let receiver: WebhookReceiver;
let token: string;
const log: ServerLogEvent[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-alerts-'));
  await createCertificates(join(dir, 'tls'), { hosts: ['127.0.0.1'], clients: [] });
  ca = await readFile(join(dir, 'tls', 'ca.crt'));
  const db = join(dir, 'server.db');
  const storage = SqliteStorage.open(db);
  token = (await storage.addClient('flappy')).token;
  await storage.close();
  receiver = await startWebhookReceiver(SECRET);
  await writeFile(join(dir, 'webhook.secret'), `${SECRET}\n`, { mode: 0o600 });
  const settings = readServerSettings({
    host: '127.0.0.1',
    port: 0,
    db,
    tlsDir: join(dir, 'tls'),
    adminToken: ADMIN_TOKEN,
    inputSize: 4,
    rounds: 1,
    // Never reached: the server stays in its waiting phase while the client flaps.
    minClients: 50,
    alerts: {
      flappingDisconnects: 3,
      webhooks: [
        {
          url: `${receiver.origin}/flotilla`,
          secretFile: join(dir, 'webhook.secret'),
        },
      ],
    },
  });
  server = await startServer(serverConfigFromOptions(settings), { log: (e) => log.push(e) });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

const disconnects = () => log.filter((e) => e.event === 'disconnected').length;

describe('a flapping client', () => {
  it('raises one client-flapping alert: stored, logged, in status, delivered signed to the webhook', async () => {
    for (let i = 1; i <= 4; i++) {
      const peer = await openPeer(server.url, { ca });
      peer.socket.send(helloFrame('flappy', token));
      await peer.welcomed;
      peer.socket.close();
      await expect.poll(disconnects, { timeout: 20_000 }).toBe(i);
    }

    const stored = async (kind: string) => server.storage.events('default', { kind });
    await expect.poll(async () => (await stored('alert-delivery')).length, { timeout: 20_000 }).toBe(1);
    const alerts = await stored('alert');
    expect(alerts.map((e) => e.data)).toEqual([
      expect.objectContaining({
        rule: 'client-flapping',
        severity: 'warning',
        clientId: 'flappy',
        value: 3,
        threshold: 3,
      }),
    ]);
    expect((await stored('alert-delivery'))[0]!.data as DeliveryRecord).toMatchObject({
      status: 'delivered',
      attempt: 1,
      httpStatus: 200,
      rule: 'client-flapping',
    });
    expect(log.filter((e) => e.event === 'alert').map((e) => e.event === 'alert' && e.rule)).toEqual([
      'client-flapping',
    ]);

    expect(receiver.hooks).toHaveLength(1);
    expect(receiver.hooks[0]!.verified).toBe(true);
    expect(JSON.parse(receiver.hooks[0]!.body)).toMatchObject({
      runId: 'default',
      alert: { rule: 'client-flapping', clientId: 'flappy' },
    });

    await writeFile(join(dir, 'admin.token'), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
    const status = flotilla([
      'status',
      '--server',
      `https://127.0.0.1:${server.port}`,
      '--ca',
      join(dir, 'tls', 'ca.crt'),
      '--admin-token-file',
      join(dir, 'admin.token'),
    ]);
    expect(await status.exited).toBe(0);
    expect(status.output).toMatch(/^alerts {3}1 firing, 1 raised in all$/m);
    expect(status.output).toMatch(
      /^ {2}alert warning client-flapping \(flappy\): client "flappy" disconnected 3 times within 300 s/m,
    );
  }, 120_000);
});

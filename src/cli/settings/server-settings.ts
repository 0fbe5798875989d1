/**
 * Settings only a server has: where it listens, its TLS and storage, the run's identity, how it selects among
 * connected clients, and its connection limits. `flotilla server` reads these next to every run setting.
 */
import { z } from 'zod';
import { count, text } from './define.js';
import { RUN_SETTINGS } from './run-settings.js';

export const SERVER_ONLY_SETTINGS = {
  host: text().default('127.0.0.1').meta({ description: 'address to listen on' }),
  port: z.int().min(0).max(65535).default(8443).meta({ description: 'port (0 picks a free one)' }),
  db: text().default('flotilla.db').meta({ description: 'SQLite database file (created if missing)' }),
  tlsDir: text()
    .optional()
    .meta({ description: 'folder from `flotilla certs init` (server.crt, server.key, ca.crt)' }),
  cert: text().optional().meta({ description: 'server certificate (PEM); default TLS_DIR/server.crt' }),
  key: text().optional().meta({ description: 'server private key (PEM); default TLS_DIR/server.key' }),
  ca: text()
    .optional()
    .meta({ description: 'CA that signs client certificates (mutual TLS); default TLS_DIR/ca.crt' }),
  mtls: z.boolean().default(false).meta({ description: 'require a client certificate signed by the CA' }),
  insecure: z.boolean().default(false).meta({ description: 'serve plain ws:// without TLS (testing only)' }),
  adminToken: text().optional().meta({
    description:
      'admin API token (stored hashed); visible to other users in `ps`: prefer env FLOTILLA_ADMIN_TOKEN or adminTokenFile',
  }),
  adminTokenFile: text()
    .optional()
    .meta({ description: 'file whose first line is the admin API token (keep it mode 0600)' }),
  inputSize: count().optional().meta({
    description:
      'features per example; default from dataset (stroke 21, csv: its schema, mnist and fashion-mnist 28x28x1)',
  }),
  numClasses: count(2).optional().meta({ description: 'number of classes; default from dataset, else 2' }),
  modelSeed: z.int().min(0).optional().meta({ description: 'seed of the initial weights; default seed' }),
  minClients: count().default(1).meta({ description: 'clients connected before rounds start' }),
  waitForAllClients: z.boolean().default(false).meta({
    description:
      'every round waits until every registered client is connected and samples among them (a consortium whose members all train each round; always so under central DP)',
  }),
  clientsPerRound: count().optional().meta({ description: 'clients per round (instead of fraction)' }),
  overSelection: z.number().min(0).default(0).meta({
    description: 'select this fraction more than clientsPerRound; clientsPerRound results commit the round',
  }),
  heartbeatMs: count(10).default(5000).meta({ description: 'server ping interval', unit: 'ms' }),
  heartbeatTimeoutMs: count(100).default(60000).meta({ description: 'silence before a drop', unit: 'ms' }),
  maxFrameBytes: count(4096)
    .default(16777216)
    .meta({ description: 'largest WebSocket message', unit: 'bytes' }),
  maxMessageBytes: count(4096)
    .default(268435456)
    .meta({ description: 'largest chunked message (also what one connection may buffer)', unit: 'bytes' }),
  maxReassemblyBytes: count(4096).default(1073741824).meta({
    description: 'bytes all connections together may buffer for chunked messages still arriving',
    unit: 'bytes',
  }),
  maxHelloBytes: count(1024).default(65536).meta({
    description: 'largest message before authentication (the hello; never chunked)',
    unit: 'bytes',
  }),
  maxHeaderBytes: count(1024).default(65536).meta({
    description: 'largest JSON header of a message (about 60 bytes per tensor; bounds what a refusal costs)',
    unit: 'bytes',
  }),
  handshakeTimeoutMs: count(10).default(10000).meta({
    description: 'time for each of the TLS handshake, the HTTP request headers and the WebSocket hello',
    unit: 'ms',
  }),
  idleTimeoutMs: count(10).default(30000).meta({
    description: 'an HTTP connection idle this long is closed (WebSocket sessions use heartbeats)',
    unit: 'ms',
  }),
  maxUnauthenticated: count(1).default(128).meta({
    description: 'connections open at once that have not authenticated; more are closed at once',
  }),
  messagesPerSecond: z.number().gt(0).default(50).meta({ description: 'per-connection rate limit' }),
  metrics: z.boolean().default(true).meta({ description: 'serve Prometheus metrics at GET /metrics' }),
  metricsPort: z.int().min(0).max(65535).optional().meta({
    description:
      'serve /metrics on this port over plain HTTP, without a token (0 picks one); default: on --port behind the admin token',
  }),
  metricsHost: text()
    .optional()
    .meta({ description: 'address of the --metrics-port listener; default 127.0.0.1 (keep it private)' }),
};

/** `flotilla server`: every run setting (a simulate config runs unchanged) and the server's own. */
export const SERVER_SCHEMA = z
  .strictObject({ ...SERVER_ONLY_SETTINGS, ...RUN_SETTINGS })
  .meta({ title: 'Flotilla server config' });

export type ServerSettings = z.output<typeof SERVER_SCHEMA>;

/** The server's own keys alone, for the README (the run settings have their own table). */
export const SERVER_ONLY_SCHEMA = z.strictObject(SERVER_ONLY_SETTINGS);

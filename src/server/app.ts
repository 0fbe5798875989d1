/**
 * The HTTP front: Fastify with the clients' WebSocket endpoint (`/ws`, handed to the pool) and a small JSON admin API
 * (`/api/...`, bearer admin token). HTTPS unless the operator asked for plain HTTP explicitly.
 */
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isFlotillaError, type ErrorCode } from '../core/index.js';
import type { Storage } from '../storage/index.js';
import type { WebSocketClientPool } from '../transport/websocket/index.js';
import type { AdminGuard } from './admin-guard.js';
import { enrolmentRoutes } from './enrolment.js';
import { ConnectionGate } from './gate.js';
import { registerParticipantPage, type ParticipantPageOptions } from './participant-page.js';
import { normalizeFingerprint, type TlsMaterial } from './tls.js';

/** Limits of the HTTP front, below the WebSocket sessions (whose limits the pool holds). */
export interface FrontLimits {
  /** An HTTP connection with no traffic for this long is closed (admin API keep-alives, TLS without a request). */
  readonly idleTimeoutMs: number;
  /** Connections open at once that have not authenticated (TLS, HTTP, WebSocket hello); more are closed at once. */
  readonly maxUnauthenticated: number;
}

export const DEFAULT_FRONT_LIMITS: FrontLimits = { idleTimeoutMs: 30_000, maxUnauthenticated: 128 };

export interface AppOptions {
  readonly pool: WebSocketClientPool;
  readonly storage: Storage;
  /** Checks admin tokens (rate limit per address, one scrypt at a time); see admin-guard.ts. */
  readonly adminGuard: AdminGuard;
  /** Undefined serves plain HTTP (the `--insecure` mode). */
  readonly tls?: TlsMaterial;
  /** What GET /api/status reports about the run in progress. */
  readonly status: () => unknown;
  readonly limits?: Partial<FrontLimits>;
  /** The participant page (/join) and what its task.json says about the run; absent: no /join routes. */
  readonly participantPage?: ParticipantPageOptions;
  /** Serve `GET /metrics` (Prometheus text format) behind the admin token. */
  readonly metrics?: { text(): Promise<string>; readonly contentType: string };
  /** Each client's latest resource report, shown by GET /api/clients. */
  readonly clientResources?: () => unknown;
}

/**
 * Node's timeouts for every layer before a WebSocket session starts, so no connection idles for free: the TLS
 * handshake and the HTTP request headers each get the session's handshake time, an idle connection `idleTimeoutMs`.
 * Node checks header and request deadlines on an interval (30 s by default); it is shortened to match.
 */
function httpTimeouts(handshakeTimeoutMs: number) {
  return {
    headersTimeout: handshakeTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(1000, Math.floor(handshakeTimeoutMs / 2))),
  };
}

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : '';
}

/** HTTP statuses of the typed errors a handler may raise; anything else is a 500. */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  AUTH_FAILED: 401,
  STORAGE_NOT_FOUND: 404,
  STORAGE_CONFLICT: 409,
};

export async function buildApp(options: AppOptions): Promise<{ app: FastifyInstance; gate: ConnectionGate }> {
  const { pool, storage } = options;
  const front = { ...DEFAULT_FRONT_LIMITS, ...options.limits };
  const handshake = pool.limits.handshakeTimeoutMs;
  const timeouts = httpTimeouts(handshake);
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    connectionTimeout: front.idleTimeoutMs,
    keepAliveTimeout: Math.min(front.idleTimeoutMs, 5_000),
    requestTimeout: Math.max(timeouts.headersTimeout, front.idleTimeoutMs),
    ...(options.tls
      ? { https: { ...options.tls, ...timeouts, handshakeTimeout: handshake } }
      : { http: timeouts }),
  });
  const gate = new ConnectionGate(front.maxUnauthenticated);
  gate.attach(app.server);
  await app.register(websocket, {
    options: { maxPayload: pool.limits.maxFrameBytes, perMessageDeflate: false },
  });

  app.get('/ws', { websocket: true }, (socket, request) => {
    const tlsSocket = request.raw.socket as TLSSocket;
    const peer =
      typeof tlsSocket.getPeerCertificate === 'function' ? tlsSocket.getPeerCertificate() : undefined;
    const fingerprint = tlsSocket.authorized && peer?.fingerprint256 ? peer.fingerprint256 : undefined;
    const stream = request.raw.socket as Socket;
    pool.accept(socket, {
      ...(request.ip ? { remoteAddress: request.ip } : {}),
      ...(fingerprint ? { certificateFingerprint: normalizeFingerprint(fingerprint) } : {}),
      stream,
      onWelcome: () => gate.authenticated(stream),
    });
  });

  app.setErrorHandler((error, _request, reply) => {
    if (!isFlotillaError(error)) throw error; // Fastify's own errors (bad body, ...) carry their status
    const status = HTTP_STATUS[error.code] ?? 500;
    return reply.code(status).send({ error: error.code, message: error.message });
  });

  const admin = async (request: FastifyRequest, reply: FastifyReply) => {
    const check = await options.adminGuard.check(request.ip, bearer(request));
    if (check.ok) return;
    if (check.status === 429) {
      await reply
        .code(429)
        .header('retry-after', String(check.retryAfterSeconds))
        .send({
          error: 'RATE_LIMITED',
          message: `too many admin token attempts; retry in ${check.retryAfterSeconds} s`,
        });
    } else {
      await reply.code(401).send({ error: 'AUTH_FAILED', message: 'a valid admin token is required' });
    }
  };
  // The page first: its CSP hook then covers the enrolment route under /join too.
  if (options.participantPage) registerParticipantPage(app, options.participantPage);
  await app.register(enrolmentRoutes, { storage });
  app.get('/api/health', async () => ({ ok: true }));
  app.get('/api/status', { preHandler: admin }, async () => options.status());
  app.get('/api/runs', { preHandler: admin }, async () => ({ runs: await storage.listRuns() }));
  app.get<{ Params: { id: string } }>('/api/runs/:id', { preHandler: admin }, async (request, reply) => {
    const run = await storage.getRun(request.params.id);
    if (!run) return reply.code(404).send({ error: 'STORAGE_NOT_FOUND', message: 'no such run' });
    return { run, rounds: await storage.rounds(run.runId) };
  });
  app.get('/api/clients', { preHandler: admin }, async () => ({
    clients: await storage.listClients(),
    connected: pool.connected(),
    ...(options.clientResources ? { resources: options.clientResources() } : {}),
  }));
  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', { preHandler: admin }, async (_request, reply) =>
      reply.type(metrics.contentType).send(await metrics.text()),
    );
  }
  app.post<{ Params: { name: string } }>(
    '/api/clients/:name/revoke',
    { preHandler: admin },
    async (request) => {
      const client = await storage.revokeClient(request.params.name);
      pool.disconnect(client.name, 'AUTH_FAILED', 'the client was revoked');
      return { client };
    },
  );
  return { app, gate };
}

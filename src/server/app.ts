/**
 * The HTTP front: Fastify with the clients' WebSocket endpoint (`/ws`, handed to the pool) and a small JSON admin API
 * (`/api/...`, bearer admin token). HTTPS unless the operator asked for plain HTTP explicitly.
 */
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { TLSSocket } from 'node:tls';
import { isFlotillaError, type ErrorCode } from '../core/index.js';
import type { Storage } from '../storage/index.js';
import type { WebSocketClientPool } from '../transport/websocket/index.js';
import type { AdminGuard } from './admin-guard.js';
import { normalizeFingerprint, type TlsMaterial } from './tls.js';

export interface AppOptions {
  readonly pool: WebSocketClientPool;
  readonly storage: Storage;
  /** Checks admin tokens (rate limit per address, one scrypt at a time); see admin-guard.ts. */
  readonly adminGuard: AdminGuard;
  /** Undefined serves plain HTTP (the `--insecure` mode). */
  readonly tls?: TlsMaterial;
  /** What GET /api/status reports about the run in progress. */
  readonly status: () => unknown;
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

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { pool, storage } = options;
  const app = Fastify({
    logger: false,
    bodyLimit: 64 * 1024,
    ...(options.tls ? { https: options.tls } : {}),
  });
  await app.register(websocket, {
    options: { maxPayload: pool.limits.maxFrameBytes, perMessageDeflate: false },
  });

  app.get('/ws', { websocket: true }, (socket, request) => {
    const tlsSocket = request.raw.socket as TLSSocket;
    const peer =
      typeof tlsSocket.getPeerCertificate === 'function' ? tlsSocket.getPeerCertificate() : undefined;
    const fingerprint = tlsSocket.authorized && peer?.fingerprint256 ? peer.fingerprint256 : undefined;
    pool.accept(socket, {
      ...(request.ip ? { remoteAddress: request.ip } : {}),
      ...(fingerprint ? { certificateFingerprint: normalizeFingerprint(fingerprint) } : {}),
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
  }));
  app.post<{ Params: { name: string } }>(
    '/api/clients/:name/revoke',
    { preHandler: admin },
    async (request) => {
      const client = await storage.revokeClient(request.params.name);
      pool.disconnect(client.name, 'AUTH_FAILED', 'the client was revoked');
      return { client };
    },
  );
  return app;
}

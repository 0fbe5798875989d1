/**
 * The operator's dashboard: `GET /dashboard` and `/dashboard/assets/<file>` (the built page of web/dashboard, a fixed
 * allow-list, strict CSP like /join), and its admin API: `GET /api/events` (the live stream, event-stream.ts),
 * `GET /api/dashboard/state` (the same snapshot the stream starts with) and `GET /api/dashboard/runs/:id` (any
 * stored run's rounds as chart summaries, for overlaying runs). The page itself is public (it holds no data); every
 * byte of the run comes through the admin-token routes.
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Storage } from '../storage/index.js';
import type { LiveState } from '../telemetry/live/live-state.js';
import { summarizeRound, type RoundRecordLike } from '../telemetry/live/summary.js';
import { EventStream, type EventStreamOptions } from './event-stream.js';
import type { ConnectionGate } from './gate.js';
import { builtPageDir, registerStaticPage } from './static-page.js';

export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export interface DashboardOptions {
  readonly live: LiveState;
  /** The built page (dist/web/dashboard); default the package's own. */
  readonly dir?: string;
  readonly stream?: EventStreamOptions;
}

/** Every file the page may load, with its content type. */
const ASSETS: ReadonlyMap<string, string> = new Map([
  ['dashboard.js', 'text/javascript; charset=utf-8'],
  ['dashboard.css', 'text/css; charset=utf-8'],
  ['dashboard.js.map', 'application/json'],
  ['dashboard.css.map', 'application/json'],
]);

/** The package's built page: dist/web/dashboard of the package root, from src/ or dist/src/. */
export function defaultDashboardDir(): string {
  return builtPageDir('dashboard');
}

/** Registers the page and its API; returns the stream (closed before the server stops listening). */
export function registerDashboard(
  app: FastifyInstance,
  options: DashboardOptions & {
    readonly storage: Storage;
    readonly admin: preHandlerAsyncHookHandler;
    readonly gate: ConnectionGate;
  },
): EventStream {
  const dir = options.dir ?? defaultDashboardDir();
  const stream = new EventStream(options.live, options.stream);
  // An open stream would keep app.close() waiting forever.
  app.addHook('preClose', async () => stream.close());
  registerStaticPage(app, {
    prefix: '/dashboard',
    title: 'dashboard',
    dir,
    csp: DASHBOARD_CSP,
    assets: ASSETS,
  });

  const { admin, storage, live, gate } = options;
  app.get('/api/events', { preHandler: admin }, (request, reply) => {
    const socket = request.raw.socket as Socket;
    // An operator's authenticated stream is not an unauthenticated connection waiting to be capped.
    gate.authenticated(socket);
    void reply.hijack();
    stream.open(reply.raw, socket);
  });
  app.get('/api/dashboard/state', { preHandler: admin }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send(live.state),
  );
  app.get<{ Params: { id: string } }>(
    '/api/dashboard/runs/:id',
    { preHandler: admin },
    async (request, reply) => {
      const run = await storage.getRun(request.params.id);
      if (!run) return reply.code(404).send({ error: 'STORAGE_NOT_FOUND', message: 'no such run' });
      const rounds = (await storage.rounds(run.runId)).map(({ committedAt, record }) =>
        summarizeRound(record as RoundRecordLike, { committedAt }),
      );
      return { run, rounds };
    },
  );
  return stream;
}

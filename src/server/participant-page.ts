/**
 * The participant page's routes: `GET /join` (the page), `GET /join/assets/<file>` (its scripts, stylesheet and the
 * TF.js wasm binaries, from a fixed allow-list of the built dist/web/join, never a path taken from the request) and
 * `GET /join/task.json` (what the page needs to know about the run: model, kind of data, privacy). Every /join
 * response carries a strict Content-Security-Policy: scripts only from this origin (plus wasm compilation for TF.js),
 * no inline code, connections only back to this server, no framing, no forms posting elsewhere.
 */
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from './server.js';
import { builtPageDir, registerStaticPage } from './static-page.js';

export const JOIN_CSP = [
  "default-src 'none'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self'",
  "connect-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The kind of local data a run's model takes, from its input shape: a feature vector or images. */
export type ParticipantDataKind = 'tabular-csv' | 'images-idx';

/** GET /join/task.json: what the participant page shows and uses. */
export interface ParticipantTask {
  readonly runId: string;
  readonly model: {
    readonly name: string;
    readonly inputShape: readonly number[];
    readonly numClasses: number;
  };
  readonly data: ParticipantDataKind;
  /** Differential privacy of the run, so the page knows whether to show privacy spending. */
  readonly privacy: {
    readonly dp: boolean;
    readonly mechanism?: string;
    readonly delta?: number;
    readonly budget?: { readonly epsilon: number; readonly delta: number };
  };
  readonly secureAggregation: boolean;
}

export interface ParticipantPageOptions {
  /** The built page (dist/web/join); default the package's own. */
  readonly dir?: string;
  readonly task: () => ParticipantTask;
}

/** The package's built page: dist/web/join of the package root, whether this module runs from src/ or dist/src/. */
export function defaultParticipantPageDir(): string {
  return builtPageDir('join');
}

/** Rank 1 is a feature vector (a CSV row); rank 3 is an image [rows, cols, channels]. */
export function participantDataKind(inputShape: readonly number[]): ParticipantDataKind {
  return inputShape.length === 3 ? 'images-idx' : 'tabular-csv';
}

/** task.json of a server's run. */
export function participantTask(
  config: Pick<ServerConfig, 'runId' | 'model' | 'privacy' | 'engine'>,
): ParticipantTask {
  const { model, privacy } = config;
  return {
    runId: config.runId,
    model: { name: model.name, inputShape: [...model.inputShape], numClasses: model.numClasses },
    data: participantDataKind(model.inputShape),
    privacy: privacy
      ? {
          dp: true,
          mechanism: privacy.policy.mechanism,
          delta: privacy.policy.delta,
          ...(privacy.policy.budget ? { budget: privacy.policy.budget } : {}),
        }
      : { dp: false },
    secureAggregation: config.engine.secureAggregation !== undefined,
  };
}

const JS = 'text/javascript; charset=utf-8';
const WASM = 'application/wasm';

/** Every file the page may load, with its content type. Anything else under /join/assets/ is a 404. */
const ASSETS: ReadonlyMap<string, string> = new Map([
  ['page.js', JS],
  ['worker.js', JS],
  ['style.css', 'text/css; charset=utf-8'],
  ['page.js.map', 'application/json'],
  ['worker.js.map', 'application/json'],
  ['worker.js.LEGAL.txt', 'text/plain; charset=utf-8'],
  ['wasm/tfjs-backend-wasm.wasm', WASM],
  ['wasm/tfjs-backend-wasm-simd.wasm', WASM],
  ['wasm/tfjs-backend-wasm-threaded-simd.wasm', WASM],
]);

export function registerParticipantPage(app: FastifyInstance, options: ParticipantPageOptions): void {
  registerStaticPage(app, {
    prefix: '/join',
    title: 'participant page',
    dir: options.dir ?? defaultParticipantPageDir(),
    csp: JOIN_CSP,
    assets: ASSETS,
  });
  app.get('/join/task.json', (_request, reply) =>
    reply.header('cache-control', 'no-store').send(options.task()),
  );
}

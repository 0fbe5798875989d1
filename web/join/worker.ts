/**
 * The participant page's training worker (a module Web Worker, so the page stays responsive while TF.js trains):
 * it reads the picked files (kept in IndexedDB for a reload), builds a TfjsTrainer on the run's model with the wasm
 * backend and the project's own kernels (or WebGL when asked and available), and runs a BrowserClient, posting
 * every state change, round, metric and byte count to the page.
 */
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { IdbStore, PickedFileStore } from '../../src/client/web/index.js';
import { SharedModel, TfjsTrainer, initBackend } from '../../src/ml/index.js';
import { SecureNoise } from '../../src/privacy/dp/noise.js';
import { BrowserClient } from '../../src/public/browser.js';
import { loadLocalData } from './local-data.js';
import type { FromWorker, ToWorker } from './messages.js';

const scope = self as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
  location: Location;
};
const post = (message: FromWorker) => scope.postMessage(message);

/** The client this worker runs (one at a time); `starting` covers the awaits before it exists. */
let running: { readonly stop: AbortController } | undefined;
let starting = false;

/** The IndexedDB database of one participant: picked files, cached model and ledger. */
const storeOf = (clientId: string) => new IdbStore(`flotilla-${clientId}`);

async function start(message: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  if (running || starting) return;
  starting = true;
  try {
    await startClient(message);
  } finally {
    starting = false;
  }
}

async function startClient(message: Extract<ToWorker, { type: 'start' }>): Promise<void> {
  const { task, clientId } = message;
  const files = new PickedFileStore(storeOf(clientId));
  const picked = message.files ?? (await files.load());
  if (!picked) return post({ type: 'need-files' });
  const data = await loadLocalData(task, picked, message.dataSeed);
  // Kept only once they parse, so a reload never retries files that cannot train.
  if (message.files) await files.save(message.files);
  post({ type: 'data', summary: data.summary });

  setWasmPaths(new URL('/join/assets/wasm/', scope.location.href).href);
  const backend = await initBackend(message.backend);
  post({ type: 'backend', backend });
  // The model's own initial weights never matter: every task brings the global parameters.
  const model = SharedModel.create(task.model.name as Parameters<typeof SharedModel.create>[0], {
    inputShape: task.model.inputShape,
    numClasses: task.model.numClasses,
    seed: 0,
  });
  const secure = new SecureNoise();
  const trainer = new TfjsTrainer(model, data.train, {
    ...(data.test ? { test: data.test } : {}),
    // DP-SGD noise from the platform CSPRNG (crypto.getRandomValues).
    dpNoise: () => secure,
    onEpoch: ({ epoch }, epochs) => post({ type: 'progress', epoch, epochs }),
  });
  const stop = new AbortController();
  const client = new BrowserClient({
    server: new URL('/ws', scope.location.href).href.replace(/^http/, 'ws'),
    clientId,
    token: message.token,
    trainer,
    runtime: `browser-${backend}`,
    ...(task.privacy.delta !== undefined ? { privacyDelta: task.privacy.delta } : {}),
    signal: stop.signal,
    on: {
      state: (state, detail) => post({ type: 'state', state, ...(detail ? { detail } : {}) }),
      round: (round) => {
        post({ type: 'round', round });
        post({ type: 'cached-round', round });
      },
      task: ({ type, round, ms }) => post({ type: 'answered', round, reply: type, ms }),
      metrics: ({ kind, round, loss, metrics }) =>
        post({
          type: 'metrics',
          kind,
          round,
          values: { ...(loss !== undefined ? { loss } : {}), ...metrics },
        }),
      privacy: ({ epsilon, delta }) => post({ type: 'privacy', epsilon, delta }),
      bytes: ({ sent, received }) => post({ type: 'bytes', sent, received }),
    },
  });
  running = { stop };
  starting = false;
  post({ type: 'cached-round', round: (await client.cachedModel())?.round });
  try {
    await client.run();
  } finally {
    running = undefined;
  }
}

async function leave(clientId: string): Promise<void> {
  running?.stop.abort();
  await storeOf(clientId).destroy();
  post({ type: 'left' });
}

scope.onmessage = (event) => {
  const message = event.data;
  const work = message.type === 'start' ? start(message) : leave(message.clientId);
  work.catch((error: unknown) =>
    post({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  );
};

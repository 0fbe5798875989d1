/**
 * Entry point of a worker-thread pool worker: builds the virtual clients from the host module and init it was given,
 * reports them, then serves tasks. A task whose client throws is answered with an 'error' message; anything that
 * kills the thread is seen by the pool as a crash.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { forTransfer } from './frames.js';
import { loadClientHostModule, type ClientHost } from './host.js';
import type { TaskRequest, WorkerInit, WorkerMessage } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-entry must run in a worker thread');

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function serve(host: ClientHost, request: TaskRequest): Promise<void> {
  const start = performance.now();
  try {
    const reply = forTransfer(await host.handle(request.clientId, request.frame));
    post(
      { type: 'reply', seq: request.seq, frame: reply.frame, durationMs: performance.now() - start },
      reply.transfer,
    );
  } catch (error) {
    post({
      type: 'error',
      seq: request.seq,
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

const { hostModule, init } = workerData as WorkerInit;
let host: ClientHost | undefined;
try {
  host = await (await loadClientHostModule(hostModule)).createClientHost(init);
} catch (error) {
  post({ type: 'init-failed', message: error instanceof Error ? error.message : String(error) });
}
if (host) {
  const ready = host;
  port.on('message', (request: TaskRequest) => void serve(ready, request));
  post({ type: 'ready', clients: ready.clients().map((c) => ({ ...c })) });
}

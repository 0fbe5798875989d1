/**
 * A ClientHost serves a set of virtual clients in one thread: given a client id and an encoded task frame, it returns
 * that client's encoded reply. The in-process pool drives one directly; the worker-thread pool builds one per worker
 * from a host module, which must therefore build the same clients from the same init in every worker.
 */
import type { ClientDescriptor } from '../engine/pool.js';

export interface ClientHost {
  clients(): readonly ClientDescriptor[];
  handle(clientId: string, frame: Uint8Array): Promise<Uint8Array>;
}

/**
 * What a host module (loaded by URL, e.g. in a worker thread) exports. `init` is structured-cloneable so that it can
 * cross into workers; everything a client needs (data, model, seeds) is derived from it deterministically.
 */
export interface ClientHostModule {
  createClientHost(init: unknown): Promise<ClientHost>;
}

/** Imports a host module and checks that it has the expected export. */
export async function loadClientHostModule(url: URL | string): Promise<ClientHostModule> {
  const href = typeof url === 'string' ? url : url.href;
  const mod = (await import(href)) as Partial<ClientHostModule>;
  if (typeof mod.createClientHost !== 'function') {
    throw new TypeError(`host module ${href} does not export a createClientHost(init) function`);
  }
  return mod as ClientHostModule;
}

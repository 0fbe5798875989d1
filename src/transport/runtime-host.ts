/**
 * The ClientHost most simulations use: one ClientRuntime (the same code a real client runs) per virtual client, so
 * simulated clients decode, validate and encode exactly like deployed ones.
 */
import { FlotillaError, type Trainer } from '../core/index.js';
import { ClientRuntime, type ClientIdentity, type ClientRuntimeOptions } from '../client/index.js';
import type { ClientDescriptor } from '../engine/pool.js';
import type { DecodeLimits } from '../protocol/index.js';
import type { ClientHost } from './host.js';

export interface VirtualClient {
  readonly descriptor: ClientDescriptor;
  readonly trainer: Trainer;
  /** Its identity for signed secure aggregation. */
  readonly identity?: ClientIdentity;
}

export interface RuntimeClientHostOptions {
  /** Bounds each runtime applies when decoding task frames. */
  readonly limits?: DecodeLimits;
  /** Privacy settings of every runtime (noise source, each client's own budget). */
  readonly privacy?: Pick<ClientRuntimeOptions, 'noise' | 'privacyBudget'>;
  /** The CKKS key every client shares, for homomorphic aggregation. */
  readonly homomorphicKeys?: ClientRuntimeOptions['homomorphicKeys'];
}

export class RuntimeClientHost implements ClientHost {
  private readonly descriptors: readonly ClientDescriptor[];
  private readonly runtimes = new Map<string, ClientRuntime>();

  constructor(clients: readonly VirtualClient[], options: RuntimeClientHostOptions = {}) {
    for (const { descriptor, trainer, identity } of clients) {
      if (this.runtimes.has(descriptor.id)) {
        throw new FlotillaError('INVALID_ARGUMENT', `duplicate virtual client id "${descriptor.id}"`);
      }
      const runtimeOptions = {
        ...(options.limits ? { limits: options.limits } : {}),
        ...options.privacy,
        ...(options.homomorphicKeys ? { homomorphicKeys: options.homomorphicKeys } : {}),
        ...(identity ? { identity } : {}),
      };
      this.runtimes.set(descriptor.id, new ClientRuntime(trainer, runtimeOptions));
    }
    this.descriptors = clients.map((c) => c.descriptor);
  }

  clients(): readonly ClientDescriptor[] {
    return this.descriptors;
  }

  handle(clientId: string, frame: Uint8Array): Promise<Uint8Array> {
    const runtime = this.runtimes.get(clientId);
    if (!runtime) {
      return Promise.reject(new FlotillaError('CLIENT_FAILED', `this host has no client "${clientId}"`));
    }
    return runtime.handle(frame);
  }
}

/**
 * Loading node-seal, the only module of privacy/he that imports it as a value. Everything else in this folder takes
 * the loaded library as an argument, so code that only uses CKKS keys someone else loaded (the client runtime) does
 * not drag node-seal (its WASM build is about 5 MB) into a bundle; only the caller that loads keys pulls it in.
 * The library is loaded once per process: one cached promise, since instantiating the WASM module is the slow part.
 */
import { FlotillaError } from '../../core/index.js';
import type { SealLibrary } from './context.js';

let loading: Promise<SealLibrary> | undefined;

/** Loads node-seal's WASM build once (the build that throws on transparent ciphertexts) and caches it. */
export function loadSeal(): Promise<SealLibrary> {
  loading ??= (async () => {
    // A bundler picks node-seal's browser build from its package.json; Node gets the UMD build. The CommonJS
    // module's default export is the factory itself in Node and `{ default: factory }` under some bundlers.
    const mod: unknown = await import('node-seal');
    const factory = findFactory(mod);
    return factory();
  })();
  loading.catch(() => (loading = undefined)); // a failed load may be retried
  return loading;
}

function findFactory(mod: unknown): () => Promise<SealLibrary> {
  let candidate: unknown = mod;
  for (let i = 0; i < 3 && typeof candidate !== 'function'; i++) {
    candidate = (candidate as { default?: unknown } | null)?.default;
  }
  if (typeof candidate !== 'function') {
    throw new FlotillaError('CONFIG_INVALID', 'node-seal did not export its loader function');
  }
  return candidate as () => Promise<SealLibrary>;
}

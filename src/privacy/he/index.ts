/**
 * Homomorphic-encryption aggregation with CKKS (Microsoft SEAL through node-seal): clients sharing one secret key
 * encrypt their weighted updates; the server, holding only the public encryption parameters, adds the ciphertexts
 * and returns the encrypted sum, which the clients decrypt. The server learns nothing about any update or the sum.
 * Browser-safe: node-seal picks its web build under a bundler.
 */
export { HeAggregator, type HeAggregatorOptions } from './aggregator.js';
export { BLOB_VERSION, crc32, decodeBlob, encodeBlob, type BlobLayout, type BlobLimits } from './blob.js';
export { ciphertextSizes } from './ciphertext.js';
export { decryptAggregate, encryptUpdate, valueLimit } from './client.js';
export {
  createContext,
  loadContext,
  saveEncryptionParameters,
  type HeContext,
  type SealLibrary,
} from './context.js';
export { loadSeal } from './seal.js';
export { generateKeys, loadKeys, saveKeys, type HeKeys } from './keys.js';
export {
  DEFAULT_CKKS_PARAMS,
  ciphertextCount,
  resolveCkksParams,
  slotCount,
  type CkksParams,
} from './params.js';

export { PrivacyAccountant } from './accountant.js';
export type { AccountantOptions, AccountantSnapshot, PrivacyBudget } from './accountant.js';
export {
  computeEpsilon,
  computeNoiseMultiplier,
  noiseMultiplierFor,
  NOISE_RELATIVE_TOLERANCE,
} from './compute.js';
export type { EpsilonQuery, NoiseQuery, NoiseResult } from './compute.js';
export { deltaFromRdp, epsilonFromRdp } from './conversion.js';
export type { Conversion, DeltaResult, EpsilonResult } from './conversion.js';
export { stepRdp, validateEntry } from './ledger.js';
export type { GaussianEntry, LedgerEntry, SampledGaussianEntry, Sampling } from './ledger.js';
export { DEFAULT_ORDERS } from './orders.js';
export { fixedSizeGaussianRdp } from './fixed-size.js';
export { poissonGaussianRdp } from './poisson.js';

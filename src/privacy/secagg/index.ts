/**
 * Secure aggregation (Bonawitz et al. 2017; SecAgg+ of Bell et al. 2020): the server learns the weighted sum of the
 * clients' updates and nothing else, even when clients drop out mid-round. Transport-independent: the client and
 * server state machines consume and produce encoded messages; the engine (or runSecureAggregation in simulation)
 * carries them.
 */
export { SecAggClient, type ClientNotice, type ClientPhase, type SecAggClientOptions } from './client.js';
export {
  checkModulusCapacity,
  defaultNeighbours,
  minimumThreshold,
  resolveRoundParams,
  type RoundSetup,
  type SecAggConfig,
  type SecAggRoundParams,
} from './config.js';
export {
  exportEd25519Private,
  generateEd25519,
  importEd25519Private,
  randomBytes,
  type Ed25519KeyPair,
} from './crypto.js';
export { buildMaskingGraph, effectiveDegree, type MaskingGraph } from './graph.js';
export {
  SERVER,
  STAGE_NAMES,
  decodeMessage as decodeSecAggMessage,
  encodeMessage as encodeSecAggMessage,
  type SecAggMessage,
  type Stage,
} from './messages.js';
export { applyMask, applyMasks, expandMask, maskStream } from './prg.js';
export {
  clientWeight,
  dequantize,
  quantizationErrorBound,
  quantize,
  type Dequantized,
  type QuantizationParams,
} from './quantize.js';
export {
  SecAggServer,
  type ReceiveOutcome,
  type Rejection,
  type SecAggResult,
  type SecAggServerOptions,
  type ServerPhase,
  type StageOutcome,
} from './server.js';
export { FIELD_PRIME, combine, recover, split, type Recovery, type Share } from './shamir.js';
export {
  runSecureAggregation,
  type SimulationOptions,
  type SimulationResult,
  type StageReport,
} from './simulate.js';

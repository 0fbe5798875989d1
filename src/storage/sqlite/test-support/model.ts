/**
 * Deterministic models for storage tests and the crash-test child process: the values of round r are known
 * without reading anything, so a checkpoint read back after a crash can be checked bit for bit.
 */
import { ParameterSet } from '../../../core/index.js';

/** A two-tensor model of `size` parameters whose values depend on `round` only. */
export function modelForRound(round: number, size: number): ParameterSet {
  const bias = Math.min(10, size);
  const kernel = new Float32Array(size - bias);
  for (let i = 0; i < kernel.length; i++) kernel[i] = round + i / size;
  return ParameterSet.fromTensors([
    { name: 'dense/kernel', shape: [kernel.length], values: kernel },
    { name: 'dense/bias', shape: [bias], values: new Float32Array(bias).fill(-round) },
  ]);
}

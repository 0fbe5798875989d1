export * from './errors.js';
export * from './parameters.js';
export * from './kernels.js';
export * from './accumulator.js';
export * from './rng.js';
export * from './events.js';
export * from './trainer.js';
export * from './dataset.js';

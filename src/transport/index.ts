export * from './host.js';
export * from './runtime-host.js';
export * from './in-process.js';
export * from './worker-pool.js';

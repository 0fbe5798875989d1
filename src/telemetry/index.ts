export * from './run-events.js';
export * from './history-recorder.js';
export * from './progress.js';
export * from './baseline.js';
export * from './eta.js';
export * from './round-log.js';
export * from './metrics.js';
export * from './metrics-events.js';
export * from './resource-recorder.js';
export * from './alerts/index.js';
// Both metrics and alerts describe the pool's connection events structurally; the metrics one (with `refused`) names them.
export type { ConnectionEvents, ConnectionEventSource } from './metrics-events.js';
export * from './client-tally.js';

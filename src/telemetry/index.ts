export * from './run-events.js';
export * from './history-recorder.js';
export * from './progress.js';
export * from './baseline.js';
export * from './eta.js';
export * from './round-log.js';
export * from './client-tally.js';

export * from './run-events.js';
export * from './history-recorder.js';
export * from './progress.js';

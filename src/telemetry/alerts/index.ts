export * from './types.js';
export * from './stats.js';
export * from './monitor.js';
export * from './signature.js';
export * from './webhooks.js';
export * from './recorder.js';
export * from './run-alerts.js';

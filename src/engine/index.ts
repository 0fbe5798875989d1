export * from './pool.js';
export * from './config.js';
export * from './history.js';
export * from './events.js';
export * from './federated-evaluation.js';
export * from './replies.js';
export * from './engine.js';

export * from './socket.js';
export * from './model-cache.js';
export * from './ledger-file.js';
export * from './cache-dir.js';
export * from './resources.js';

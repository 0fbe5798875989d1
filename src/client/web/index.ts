export * from './idb.js';
export * from './model-cache.js';
export * from './ledger.js';
export * from './picked-files.js';
export * from './counting-socket.js';
export * from './resources.js';

export * from './socket.js';
export * from './model-cache.js';

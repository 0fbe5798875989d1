export * from './runtime.js';
export * from './connection.js';
export * from './reconnect.js';

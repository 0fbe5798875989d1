export * from './server.js';
export * from './app.js';
export * from './auth.js';
export * from './tls.js';
export * from './certs.js';
export * from './admin-client.js';
export * from './admin-guard.js';

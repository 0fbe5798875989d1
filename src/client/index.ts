export * from './runtime.js';
export * from './connection.js';
export * from './reconnect.js';
export { ClientPrivacy } from './privacy.js';
export type { ClientNoise, PrivacyLedgerStore } from './privacy.js';
export type { ClientIdentity } from './secure-aggregation.js';
export type { ResourceProbe } from './resources.js';

/** Differential privacy: the RDP accountant and the DP pipeline stages (browser-safe: no platform imports). */
export * from './accountant/index.js';
export * from './dp/index.js';
export * as secagg from './secagg/index.js';
export * as he from './he/index.js';

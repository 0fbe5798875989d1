export * from './messages.js';
export * from './schemas.js';
export * from './kinds.js';
export * from './frame.js';
export * from './codec.js';
export { HOST_LITTLE_ENDIAN } from './floats.js';
export * from './control.js';
export * from './chunk.js';
export * from './peek.js';

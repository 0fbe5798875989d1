// The platform-free part of storage. The SQLite implementation is imported from './sqlite/index.js' by server-side
// code only, so that importing these types never loads a native module.
export * from './storage.js';
export * from './committer.js';

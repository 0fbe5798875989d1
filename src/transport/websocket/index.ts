export * from './pool.js';
export {
  DEFAULT_SESSION_LIMITS,
  type AuthDecision,
  type Authenticator,
  type ConnectionInfo,
  type Credentials,
  type SessionLimits,
} from './session.js';

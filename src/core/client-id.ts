/**
 * The one rule for client names. A name is what a client sends as `clientId` in its hello, and it also names the
 * client in logs, cache file names and the registry, so it is short, ASCII and free of separators. The protocol's
 * hello schema (src/protocol/control.ts) and client registration (src/storage, `flotilla clients add`,
 * `flotilla certs init`) all use this, so no client is ever issued a credential for a name it cannot present.
 * It lives in core rather than protocol because storage may import core only (DESIGN, Layout).
 */
import { FlotillaError } from './errors.js';
import { describeValue, parse, str, type Schema } from './validate.js';

const RULE = 'letters, digits, "_", "." or "-", starting with a letter or digit';

export const clientIdSchema: Schema<string> = str({
  minLength: 1,
  maxLength: 64,
  pattern: /^[A-Za-z0-9][A-Za-z0-9_.-]*$/,
  patternName: RULE,
});

/** Returns `name` if a hello may carry it as its clientId; otherwise throws INVALID_ARGUMENT naming the rule. */
export function checkClientId(name: unknown, what = 'client name'): string {
  try {
    return parse(clientIdSchema, name, what, 'INVALID_ARGUMENT');
  } catch {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `${what} ${describeValue(name)} is not a valid client id: use 1 to 64 ASCII ${RULE}`,
    );
  }
}

import { FlotillaError } from '../core/index.js';
/** A `flotilla` subcommand: its name, a one-line summary, full help text, and what it does. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  help(): string;
  /** Runs with the arguments after the command name; resolves to the process exit code. */
  run(args: readonly string[]): Promise<number>;
}

/** A wrong command line (missing argument, unknown subcommand): printed as one line, exit code 2. */
export function usageError(message: string): FlotillaError {
  return new FlotillaError('INVALID_ARGUMENT', message);
}

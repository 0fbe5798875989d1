/**
 * Tokens reach a command from a file or the environment, not the command line: every user of the machine can read
 * another user's command line (`ps`, /proc/PID/cmdline), but not their environment or their owner-only files. A
 * token given as a flag is still taken, with a warning that says so.
 */
import { readFileSync } from 'node:fs';
import { FlotillaError } from '../core/index.js';

export interface SecretSources {
  /** The flag that took the secret on the command line (e.g. `--token`), and its value if given. */
  readonly flag: string;
  readonly fromFlag: string | undefined;
  /** The flag naming a file that holds it (e.g. `--token-file`), and its value if given. */
  readonly fileFlag: string;
  readonly file: string | undefined;
  /** The environment variable that may hold it. */
  readonly env: string;
  /** Where warnings go (stderr in the commands). */
  readonly warn: (line: string) => void;
}

/** The secret from its file, else its flag (with a warning), else its environment variable; undefined if none. */
export function readSecret(s: SecretSources): string | undefined {
  if (s.file !== undefined && s.fromFlag !== undefined) {
    throw new FlotillaError('CONFIG_INVALID', `give ${s.flag} or ${s.fileFlag}, not both`);
  }
  if (s.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(s.file, 'utf8');
    } catch (error) {
      const reason =
        (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
      throw new FlotillaError('CONFIG_INVALID', `cannot read ${s.fileFlag} ${s.file}: ${reason}`);
    }
    // The first line: files written by `echo` or an editor end with a newline that is not part of the token.
    const secret = text.split(/\r?\n/)[0]!.trim();
    if (secret === '') throw new FlotillaError('CONFIG_INVALID', `${s.fileFlag} ${s.file} is empty`);
    return secret;
  }
  if (s.fromFlag !== undefined) {
    s.warn(
      `warning: ${s.flag} on the command line is visible to every user of this machine (ps); use ${s.env} or ${s.fileFlag}`,
    );
    return s.fromFlag;
  }
  const env = process.env[s.env];
  return env === undefined || env === '' ? undefined : env;
}

/**
 * The `flotilla` command. Each subcommand lives in its own module; this file only dispatches and turns errors into
 * exit codes: a user error (bad config, bad data, bad flag) prints one line naming the problem and exits 2; an
 * internal error prints its stack and exits 1.
 */
import { parseArgs } from 'node:util';
import { isFlotillaError } from '../core/index.js';
import { commands, usage } from './commands.js';

/**
 * Whether the arguments ask for help: `-h` or `--help` anywhere before `--` (after it, every argument is a
 * positional, so `flotilla simulate -- -h` reads a config file named -h).
 */
export function wantsHelp(args: readonly string[]): boolean {
  const { tokens } = parseArgs({ args: [...args], strict: false, allowPositionals: true, tokens: true });
  return tokens.some((t) => t.kind === 'option' && (t.name === 'help' || t.name === 'h'));
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic ? commands.find((c) => c.name === topic) : undefined;
    process.stdout.write(`${command ? command.help() : usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === 'version') {
    const { version } = await import('./version.js');
    process.stdout.write(`flotilla ${version()}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (!command) {
    process.stderr.write(`flotilla: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  try {
    if (wantsHelp(rest)) {
      process.stdout.write(`${command.help()}\n`);
      return 0;
    }
    return await command.run(rest);
  } catch (error) {
    if (isFlotillaError(error) && error.userFacing) {
      process.stderr.write(`flotilla ${name}: error: ${error.message}\n`);
      return 2;
    }
    process.stderr.write(
      `flotilla ${name}: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return 1;
  }
}

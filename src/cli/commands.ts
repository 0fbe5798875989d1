/** The registry of `flotilla` subcommands. Each lives in its own module under commands/. */
import type { Command } from './command.js';
import { configCommand } from './commands/config.js';
import { privacyCommand } from './commands/privacy.js';

export const commands: readonly Command[] = [configCommand, privacyCommand];

export function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'Usage: flotilla <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `flotilla help <command>` or `flotilla <command> --help` for the options of a command.',
  ].join('\n');
}

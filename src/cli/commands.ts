/** The registry of `flotilla` subcommands. Each lives in its own module under commands/. */
import type { Command } from './command.js';
import { certsCommand } from './commands/certs.js';
import { clientCommand } from './commands/client.js';
import { clientsCommand } from './commands/clients.js';
import { configCommand } from './commands/config.js';
import { federationCommand } from './commands/federation.js';
import { heCommand } from './commands/he.js';
import { identityCommand } from './commands/identity.js';
import { inspectCommand } from './commands/inspect.js';
import { newCommand } from './commands/new.js';
import { privacyCommand } from './commands/privacy.js';
import { reportCommand } from './commands/report.js';
import { runsCommand } from './commands/runs.js';
import { serverCommand } from './commands/server.js';
import { simulateCommand } from './commands/simulate.js';
import { statusCommand } from './commands/status.js';
import { trainCentralCommand } from './commands/train-central.js';

export const commands: readonly Command[] = [
  newCommand,
  simulateCommand,
  trainCentralCommand,
  inspectCommand,
  configCommand,
  privacyCommand,
  heCommand,
  identityCommand,
  federationCommand,
  serverCommand,
  clientCommand,
  clientsCommand,
  certsCommand,
  statusCommand,
  runsCommand,
  reportCommand,
];

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

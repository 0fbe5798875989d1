/** `flotilla status --server URL --admin-token T [--ca FILE] [--json]`: a running server's run, round and clients. */
import { AdminClient } from '../../server/index.js';
import type { Command } from '../command.js';
import { formatOptionHelp, mergeOptions, parseFlags, usageError, type OptionSpec } from '../options.js';

export const STATUS_OPTIONS: readonly OptionSpec[] = [
  {
    key: 'server',
    type: 'string',
    default: 'https://127.0.0.1:8443',
    description: "the server: https://HOST:PORT, or the clients' endpoint wss://HOST:PORT/ws",
  },
  { key: 'adminToken', type: 'string', description: 'admin API token (env FLOTILLA_ADMIN_TOKEN)' },
  { key: 'ca', type: 'string', description: 'CA certificate that signed the server certificate' },
  { key: 'json', type: 'boolean', default: false, description: 'print JSON' },
];

/** What GET /api/status reports (server.ts). */
interface ServerStatus {
  readonly runId: string;
  readonly phase: string;
  readonly lastRound: number;
  readonly rounds: number;
  readonly minClients: number;
  readonly connected: readonly { readonly clientId: string }[];
  /** Differential privacy: epsilon spent so far, and the budget. */
  readonly privacy?: {
    readonly mechanism: string;
    readonly epsilon: number;
    readonly delta: number;
    readonly budget?: { readonly epsilon: number; readonly delta: number };
  };
  /** While the run waits for clients: how many it needs, how many are connected, and the round that waits. */
  readonly waiting?: {
    readonly needed: number;
    readonly connected: number;
    readonly missing: number;
    readonly round?: number;
  };
}

function privacyLine(privacy: NonNullable<ServerStatus['privacy']>): string {
  const budget = privacy.budget ? ` of a budget of ${privacy.budget.epsilon}` : ' (no budget set)';
  return `privacy  ${privacy.mechanism}: epsilon ${privacy.epsilon.toFixed(4)} spent${budget} at delta ${privacy.delta}`;
}

/** "waiting for 2 clients (1 of 3 connected) before round 4", or before the run's first round. */
export function waitingLine(waiting: NonNullable<ServerStatus['waiting']>): string {
  const before = waiting.round === undefined ? 'the run starts' : `round ${waiting.round}`;
  return `waiting for ${waiting.missing} client(s) (${waiting.connected} of ${waiting.needed} connected) before ${before}`;
}

export const statusCommand: Command = {
  name: 'status',
  summary: "a running server's run, round and connected clients (admin API)",
  help: () =>
    [
      'Usage: flotilla status --server https://HOST:PORT --admin-token T [--ca ca.crt] [--json]',
      '',
      formatOptionHelp(STATUS_OPTIONS),
    ].join('\n'),
  async run(args) {
    const parsed = parseFlags(STATUS_OPTIONS, args);
    if (parsed.positionals.length > 0) throw usageError(`unexpected argument "${parsed.positionals[0]}"`);
    const v = mergeOptions(STATUS_OPTIONS, parsed.values);
    const adminToken = (v.adminToken as string | undefined) ?? process.env.FLOTILLA_ADMIN_TOKEN;
    if (!adminToken) throw usageError('status needs --admin-token (or FLOTILLA_ADMIN_TOKEN)');
    const admin = new AdminClient({
      server: v.server as string,
      adminToken,
      ...(v.ca ? { caFile: v.ca as string } : {}),
    });
    const status = await admin.get<ServerStatus>('status');
    if (v.json) {
      process.stdout.write(`${JSON.stringify({ server: v.server, ...status }, null, 2)}\n`);
      return 0;
    }
    const names = status.connected.map((c) => c.clientId).join(', ');
    process.stdout.write(
      [
        `server   ${String(v.server)} (up)`,
        `run      ${status.runId}: ${status.phase}, round ${status.lastRound}/${status.rounds} committed`,
        `clients  ${status.connected.length} connected${names ? `: ${names}` : ''} (rounds start at ${status.minClients})`,
        ...(status.privacy ? [privacyLine(status.privacy)] : []),
        ...(status.waiting ? [`waiting  ${waitingLine(status.waiting)}`] : []),
      ].join('\n') + '\n',
    );
    return 0;
  },
};

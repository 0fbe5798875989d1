/** `flotilla status --server URL [--admin-token-file FILE] [--ca FILE] [--json]`: a running server's run, round and clients. */
import { AdminClient } from '../../server/index.js';
import { z } from 'zod';
import { usageError, type Command } from '../command.js';
import { alertLine } from '../alert-options.js';
import { readSecret } from '../secret.js';
import { commandSettings, text } from '../settings/index.js';

export const STATUS_SCHEMA = z.strictObject({
  server: text().default('https://127.0.0.1:8443').meta({
    description: "the server: https://HOST:PORT, or the clients' endpoint wss://HOST:PORT/ws",
  }),
  adminToken: text().optional().meta({
    description:
      'admin API token; visible to other users in `ps`: prefer env FLOTILLA_ADMIN_TOKEN or --admin-token-file',
  }),
  adminTokenFile: text()
    .optional()
    .meta({ description: 'file whose first line is the admin API token (keep it mode 0600)' }),
  ca: text().optional().meta({ description: 'CA certificate that signed the server certificate' }),
  json: z.boolean().default(false).meta({ description: 'print JSON' }),
});
const STATUS_COMMAND = commandSettings(STATUS_SCHEMA);

/** What GET /api/status reports (server.ts). */
interface ServerStatus {
  readonly runId: string;
  readonly phase: string;
  readonly lastRound: number;
  readonly rounds: number;
  readonly minClients: number;
  /** `runtime`: the platform a client declared in its hello (node-20.20.2-wasm, browser-webgl...). */
  readonly connected: readonly { readonly clientId: string; readonly runtime?: string }[];
  /** Differential privacy: epsilon spent so far, and the budget. */
  readonly privacy?: {
    readonly mechanism: string;
    readonly epsilon: number;
    readonly delta: number;
    readonly budget?: { readonly epsilon: number; readonly delta: number };
  };
  /** Alerts (unless the run turned them off): those still firing, the latest raised, and totals by rule. */
  readonly alerts?: {
    readonly firing: readonly AlertSummary[];
    readonly recent: readonly AlertSummary[];
    readonly counts: Readonly<Record<string, number>>;
  };
  /** While the run waits for clients: how many it needs, how many are connected, and the round that waits. */
  readonly waiting?: {
    readonly needed: number;
    readonly connected: number;
    readonly missing: number;
    readonly round?: number;
  };
}

interface AlertSummary {
  readonly rule: string;
  readonly severity: string;
  readonly round?: number;
  readonly clientId?: string;
  readonly message: string;
}

/** "alerts   1 firing, 3 raised in all" and one line per firing alert. */
export function alertLines(alerts: NonNullable<ServerStatus['alerts']>): string[] {
  const total = Object.values(alerts.counts).reduce((sum, n) => sum + n, 0);
  return [
    `alerts   ${alerts.firing.length} firing, ${total} raised in all`,
    ...alerts.firing.map((a) => `  ${alertLine(a)}`),
  ];
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
      'Usage: flotilla status --server https://HOST:PORT [--admin-token-file FILE] [--ca ca.crt] [--json]',
      '',
      'The admin token comes from --admin-token-file or FLOTILLA_ADMIN_TOKEN (a flag would show in `ps`).',
      '',
      STATUS_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const { line, settings: v } = STATUS_COMMAND.read(args);
    if (line.positionals.length > 0) throw usageError(`unexpected argument "${line.positionals[0]}"`);
    const adminToken = readSecret({
      flag: '--admin-token',
      fromFlag: v.adminToken,
      fileFlag: '--admin-token-file',
      file: v.adminTokenFile,
      env: 'FLOTILLA_ADMIN_TOKEN',
      warn: (text) => process.stderr.write(`${text}\n`),
    });
    if (!adminToken)
      throw usageError('status needs the admin token: set FLOTILLA_ADMIN_TOKEN or pass --admin-token-file');
    const admin = new AdminClient({
      server: v.server,
      adminToken,
      ...(v.ca ? { caFile: v.ca } : {}),
    });
    const status = await admin.get<ServerStatus>('status');
    if (v.json) {
      process.stdout.write(`${JSON.stringify({ server: v.server, ...status }, null, 2)}\n`);
      return 0;
    }
    // The runtime is the client's own text: printable ASCII only, so it cannot write escapes to the terminal.
    const names = status.connected
      .map((c) => (c.runtime ? `${c.clientId} [${c.runtime.replace(/[^\x20-\x7e]/g, '?')}]` : c.clientId))
      .join(', ');
    process.stdout.write(
      [
        `server   ${v.server} (up)`,
        `run      ${status.runId}: ${status.phase}, round ${status.lastRound}/${status.rounds} committed`,
        `clients  ${status.connected.length} connected${names ? `: ${names}` : ''} (rounds start at ${status.minClients})`,
        ...(status.privacy ? [privacyLine(status.privacy)] : []),
        ...(status.waiting ? [`waiting  ${waitingLine(status.waiting)}`] : []),
        ...(status.alerts ? alertLines(status.alerts) : []),
      ].join('\n') + '\n',
    );
    return 0;
  },
};

/**
 * `flotilla server --config server.yaml`: the coordinator of a real deployment (src/server). Every config key is a
 * flag too. TLS is the default; `--insecure` serves plain ws:// and says so loudly.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { FlotillaError } from '../../core/index.js';
import type { EngineConfig } from '../../engine/index.js';
import { MODEL_NAMES, type ModelName } from '../../ml/index.js';
import { startServer, type ServerConfig, type ServerLogEvent } from '../../server/index.js';
import type { Command } from '../command.js';
import { loadConfigFile } from '../config-file.js';
import {
  formatOptionHelp,
  mergeOptions,
  parseFlags,
  usageError,
  type OptionSpec,
  type OptionValues,
} from '../options.js';
import { AVAILABILITY_OPTIONS, availabilityConfig } from '../availability-options.js';
import { HOMOMORPHIC_OPTIONS, resolveHomomorphicOptions } from '../homomorphic-options.js';
import {
  SECURE_AGGREGATION_OPTIONS,
  resolveSecureAggregationOptions,
} from '../secure-aggregation-options.js';
import { PRIVACY_OPTIONS, resolvePrivacy } from '../privacy-options.js';
import { STRATEGY_OPTIONS, strategyParams } from '../strategy-options.js';
import { UPDATE_BOUND_OPTIONS, resolveUpdateBoundOptions } from '../update-bounds-options.js';

export const SERVER_OPTIONS: readonly OptionSpec[] = [
  { key: 'host', type: 'string', default: '127.0.0.1', description: 'address to listen on' },
  {
    key: 'port',
    type: 'integer',
    default: 8443,
    min: 0,
    max: 65535,
    description: 'port (0 picks a free one)',
  },
  {
    key: 'db',
    type: 'string',
    default: 'flotilla.db',
    description: 'SQLite database file (created if missing)',
  },
  {
    key: 'tlsDir',
    type: 'string',
    description: 'folder from `flotilla certs init` (server.crt, server.key, ca.crt)',
  },
  { key: 'cert', type: 'string', description: 'server certificate (PEM); default TLS_DIR/server.crt' },
  { key: 'key', type: 'string', description: 'server private key (PEM); default TLS_DIR/server.key' },
  {
    key: 'ca',
    type: 'string',
    description: 'CA that signs client certificates (mutual TLS); default TLS_DIR/ca.crt',
  },
  {
    key: 'mtls',
    type: 'boolean',
    default: false,
    description: 'require a client certificate signed by the CA',
  },
  {
    key: 'insecure',
    type: 'boolean',
    default: false,
    description: 'serve plain ws:// without TLS (testing only)',
  },
  {
    key: 'adminToken',
    type: 'string',
    description: 'admin API token (stored hashed); env FLOTILLA_ADMIN_TOKEN',
  },
  { key: 'runId', type: 'string', default: 'default', description: 'run id; an existing run is resumed' },
  {
    key: 'model',
    type: 'enum',
    values: MODEL_NAMES,
    default: 'tabular-mlp',
    description: 'model architecture',
  },
  {
    key: 'inputSize',
    type: 'integer',
    min: 1,
    description: 'features per example (21 for the stroke schema)',
  },
  { key: 'numClasses', type: 'integer', default: 2, min: 2, description: 'number of classes' },
  { key: 'modelSeed', type: 'integer', default: 0, description: 'seed of the initial weights' },
  { key: 'rounds', type: 'integer', default: 10, min: 1, description: 'rounds in the run' },
  {
    key: 'minClients',
    type: 'integer',
    default: 1,
    min: 1,
    description: 'clients connected before rounds start',
  },
  {
    key: 'fractionFit',
    type: 'number',
    above: 0,
    max: 1,
    description: 'fraction of connected clients per round',
  },
  {
    key: 'clientsPerRound',
    type: 'integer',
    min: 1,
    description: 'clients per round (instead of fractionFit)',
  },
  {
    key: 'overSelection',
    type: 'number',
    default: 0,
    min: 0,
    description: 'select this fraction more than clientsPerRound; clientsPerRound results commit the round',
  },
  {
    key: 'minFitClients',
    type: 'integer',
    default: 1,
    min: 1,
    description: 'fewest clients a round selects; a round waits until this many are connected',
  },
  { key: 'fitDeadlineMs', type: 'integer', default: 60000, min: 1, description: 'time for fit replies' },
  {
    key: 'minResults',
    type: 'number',
    above: 0,
    description: 'results to commit: < 1 a fraction, >= 1 a count',
  },
  {
    key: 'maxRetries',
    type: 'integer',
    default: 2,
    min: 0,
    description: 'fresh selections after a failed attempt',
  },
  ...AVAILABILITY_OPTIONS,
  { key: 'localEpochs', type: 'integer', default: 1, min: 1, description: 'local epochs per round' },
  { key: 'batchSize', type: 'integer', default: 32, min: 1, description: 'local batch size' },
  {
    key: 'learningRate',
    type: 'number',
    default: 0.05,
    above: 0,
    description: 'local learning rate',
    aliases: ['lr'],
  },
  { key: 'optimizer', type: 'enum', values: ['sgd', 'adam'], default: 'sgd', description: 'local optimizer' },
  { key: 'momentum', type: 'number', default: 0, min: 0, max: 0.999, description: 'SGD momentum' },
  { key: 'seed', type: 'integer', default: 0, description: 'run seed (selection, client seeds)' },
  {
    key: 'evaluateEvery',
    type: 'integer',
    default: 0,
    min: 0,
    description: 'federated evaluation every k rounds',
  },
  { key: 'heartbeatMs', type: 'integer', default: 5000, min: 10, description: 'server ping interval' },
  {
    key: 'heartbeatTimeoutMs',
    type: 'integer',
    default: 60000,
    min: 100,
    description: 'silence before a drop',
  },
  {
    key: 'maxFrameBytes',
    type: 'integer',
    default: 16777216,
    min: 4096,
    description: 'largest WebSocket message',
  },
  {
    key: 'maxMessageBytes',
    type: 'integer',
    default: 268435456,
    min: 4096,
    description: 'largest chunked message (also what one connection may buffer)',
  },
  {
    key: 'maxReassemblyBytes',
    type: 'integer',
    default: 1073741824,
    min: 4096,
    description: 'bytes all connections together may buffer for chunked messages still arriving',
  },
  {
    key: 'maxHelloBytes',
    type: 'integer',
    default: 65536,
    min: 1024,
    description: 'largest message before authentication (the hello; never chunked)',
  },
  {
    key: 'maxHeaderBytes',
    type: 'integer',
    default: 65536,
    min: 1024,
    description: 'largest JSON header of a message (about 60 bytes per tensor; bounds what a refusal costs)',
  },
  {
    key: 'handshakeTimeoutMs',
    type: 'integer',
    default: 10000,
    min: 10,
    description: 'time for each of the TLS handshake, the HTTP request headers and the WebSocket hello',
  },
  {
    key: 'idleTimeoutMs',
    type: 'integer',
    default: 30000,
    min: 10,
    description: 'an HTTP connection idle this long is closed (WebSocket sessions use heartbeats)',
  },
  {
    key: 'maxUnauthenticated',
    type: 'integer',
    default: 128,
    min: 1,
    description: 'connections open at once that have not authenticated; more are closed at once',
  },
  {
    key: 'messagesPerSecond',
    type: 'number',
    default: 50,
    above: 0,
    description: 'per-connection rate limit',
  },
  ...STRATEGY_OPTIONS,
  ...PRIVACY_OPTIONS,
  ...UPDATE_BOUND_OPTIONS,
  ...SECURE_AGGREGATION_OPTIONS,
  ...HOMOMORPHIC_OPTIONS,
];

/**
 * The server's differential privacy, from the same keys as `simulate`. Central DP's sampling rate is the fraction
 * of clients selected each round, so it needs `fractionFit` (or every client each round); over-selection is refused
 * because keeping the fastest results is not the uniform sample the analysis assumes.
 */
function serverPrivacy(v: OptionValues): ServerConfig['privacy'] {
  if (v.dp === 'none') {
    resolvePrivacy(v, v.rounds as number, 1); // refuses DP keys set without a DP mode
    return undefined;
  }
  // Without fractionFit or clientsPerRound every connected client is selected: a sampling rate of 1.
  const fraction = (v.fractionFit as number | undefined) ?? (v.clientsPerRound === undefined ? 1 : undefined);
  if (v.dp === 'central' && fraction === undefined) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      '"dp" central needs "fractionFit" (the sampling rate the accountant charges), not "clientsPerRound"',
      { key: 'fractionFit' },
    );
  }
  if ((v.overSelection as number) > 0) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      '"overSelection" keeps the fastest results, not the uniform sample "dp" accounts for; set overSelection to 0',
      { key: 'overSelection' },
    );
  }
  const resolved = resolvePrivacy(v, v.rounds as number, fraction ?? 1)!;
  const settings = Object.fromEntries(
    PRIVACY_OPTIONS.filter((o) => v[o.key] !== undefined).map((o) => [o.key, v[o.key]]),
  );
  return { policy: resolved.policy, settings };
}

const PATH_KEYS = ['db', 'tlsDir', 'cert', 'key', 'ca'];

/** Paths in a config file are relative to the file, not to wherever the server was started from. */
function resolvePaths(values: OptionValues, base: string): OptionValues {
  const out = { ...values };
  for (const key of PATH_KEYS) {
    const v = out[key];
    if (typeof v === 'string' && !isAbsolute(v)) out[key] = resolve(base, v);
  }
  return out;
}

export function serverConfigFromOptions(v: OptionValues): ServerConfig {
  if (v.inputSize === undefined) throw usageError('server needs --input-size (21 for the stroke schema)');
  const tlsDir = v.tlsDir as string | undefined;
  const fromDir = (name: string) => (tlsDir ? join(tlsDir, name) : undefined);
  const cert = (v.cert as string | undefined) ?? fromDir('server.crt');
  const key = (v.key as string | undefined) ?? fromDir('server.key');
  const ca = (v.ca as string | undefined) ?? fromDir('ca.crt');
  if (!v.insecure && (!cert || !key)) {
    throw new FlotillaError(
      'TLS_INVALID',
      'TLS needs --tls-dir (or --cert and --key); create them with `flotilla certs init`, or pass --insecure',
    );
  }
  const clientsPerRound = v.clientsPerRound as number | undefined;
  const over = v.overSelection as number;
  const secureAggregation = resolveSecureAggregationOptions(v);
  const homomorphicAggregation = resolveHomomorphicOptions(v);
  const privacy = serverPrivacy(v);
  const engine: EngineConfig = {
    rounds: v.rounds as number,
    clientSampling: v.clientSampling as 'fixed-size' | 'poisson',
    ...(secureAggregation ? { secureAggregation } : {}),
    ...(homomorphicAggregation ? { homomorphicAggregation } : {}),
    ...(clientsPerRound !== undefined
      ? { clientsPerRound: Math.ceil(clientsPerRound * (1 + over) - 1e-9) }
      : v.fractionFit !== undefined
        ? { fractionFit: v.fractionFit as number }
        : {}),
    ...(v.minResults !== undefined
      ? { minResults: v.minResults as number }
      : clientsPerRound !== undefined && over > 0
        ? { minResults: { count: clientsPerRound } }
        : {}),
    minFitClients: v.minFitClients as number,
    maxRetries: v.maxRetries as number,
    ...availabilityConfig(v),
    fitDeadlineMs: v.fitDeadlineMs as number,
    evaluateEvery: v.evaluateEvery as number,
    localEpochs: v.localEpochs as number,
    batchSize: v.batchSize as number,
    learningRate: v.learningRate as number,
    optimizer: v.optimizer as 'sgd' | 'adam',
    momentum: v.momentum as number,
    seed: v.seed as number,
    ...resolveUpdateBoundOptions(v),
  };
  const adminToken = (v.adminToken as string | undefined) ?? process.env.FLOTILLA_ADMIN_TOKEN;
  const strategy = strategyParams(v);
  return {
    host: v.host as string,
    port: v.port as number,
    dbPath: v.db as string,
    ...(v.insecure
      ? {}
      : { tls: { cert: cert!, key: key!, ...(ca ? { ca } : {}), requireClientCert: v.mtls === true } }),
    ...(adminToken ? { adminToken } : {}),
    runId: v.runId as string,
    model: {
      name: v.model as ModelName,
      inputShape: [v.inputSize as number],
      numClasses: v.numClasses as number,
      seed: v.modelSeed as number,
    },
    strategy: strategy.name,
    strategyParams: strategy.params,
    engine,
    ...(privacy ? { privacy } : {}),
    minClients: v.minClients as number,
    limits: {
      heartbeatMs: v.heartbeatMs as number,
      heartbeatTimeoutMs: v.heartbeatTimeoutMs as number,
      maxFrameBytes: v.maxFrameBytes as number,
      maxMessageBytes: v.maxMessageBytes as number,
      maxReassemblyBytes: v.maxReassemblyBytes as number,
      maxHelloBytes: v.maxHelloBytes as number,
      maxHeaderBytes: v.maxHeaderBytes as number,
      handshakeTimeoutMs: v.handshakeTimeoutMs as number,
      idleTimeoutMs: v.idleTimeoutMs as number,
      maxUnauthenticated: v.maxUnauthenticated as number,
      messagesPerSecond: v.messagesPerSecond as number,
    },
  };
}

/** Server log lines: one JSON object per line on stderr, for people and for log collectors. */
export function logLine(event: ServerLogEvent): void {
  process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
}

/** Reads `--config FILE` (if any) and the flags into merged option values. */
export function readServerOptions(args: readonly string[]): OptionValues {
  const parsed = parseFlags([...SERVER_OPTIONS, { key: 'config', type: 'string', description: '' }], args);
  if (parsed.positionals.length > 0) throw usageError(`unexpected argument "${parsed.positionals[0]}"`);
  const { config, ...flags } = parsed.values;
  const file =
    typeof config === 'string'
      ? resolvePaths(loadConfigFile(config, SERVER_OPTIONS), dirname(resolve(config)))
      : {};
  return mergeOptions(SERVER_OPTIONS, file, flags);
}

export const serverCommand: Command = {
  name: 'server',
  summary: 'run the coordinator: TLS WebSocket endpoint, admin API, durable rounds',
  help: () =>
    [
      'Usage: flotilla server --config server.yaml [--flag value ...]',
      '',
      'Starts (or resumes, when the database holds the run) a federated run and serves clients at wss://HOST:PORT/ws',
      'and the admin API at https://HOST:PORT/api/ (Authorization: Bearer ADMIN_TOKEN).',
      '',
      formatOptionHelp(SERVER_OPTIONS),
    ].join('\n'),
  async run(args) {
    const config = serverConfigFromOptions(readServerOptions(args));
    if (!config.tls) {
      process.stderr.write(
        'WARNING: --insecure: serving plain ws:// without TLS. Tokens and models cross the network in clear text.\n',
      );
    }
    const server = await startServer(config, { log: logLine });
    const stop = () => void server.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const result = await server.finished;
      process.stdout.write(`${JSON.stringify({ status: result.status, lastRound: result.lastRound })}\n`);
      return 0;
    } finally {
      await server.close();
    }
  },
};

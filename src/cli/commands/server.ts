/**
 * `flotilla server --config server.yaml`: the coordinator of a real deployment (src/server). Every config key is a
 * flag too. TLS is the default; `--insecure` serves plain ws:// and says so loudly.
 */
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { FlotillaError } from '../../core/index.js';
import type { EngineConfig } from '../../engine/index.js';
import { startServer, type ServerConfig, type ServerLogEvent } from '../../server/index.js';
import { usageError, type Command } from '../command.js';
import { refuseSimulatedAttacks } from '../attack-options.js';
import { resolvePrivacy } from '../privacy-options.js';
import { readSecret } from '../secret.js';
import { minResultsOf, modelOf, runEngineConfig, testFractionOf } from '../run-config.js';
import { ignoredKeys, serverModelInput } from '../server-input.js';
import { commandSettings, readConfigFile, type Layer } from '../settings/index.js';
import { PRIVACY_KEYS } from '../settings/run-settings.js';
import { SERVER_SCHEMA, type ServerSettings } from '../settings/server-settings.js';
import { strategyParams } from '../strategy-options.js';
import { attachRoundLog, type RoundLogRecord } from '../../telemetry/index.js';

export const SERVER_COMMAND = commandSettings(SERVER_SCHEMA);

/**
 * The server's differential privacy, from the same keys as `simulate`. Central DP's sampling rate is the fraction
 * of clients selected each round, so it needs `fraction` rather than `clientsPerRound`; over-selection is refused
 * because keeping the fastest results is not the uniform sample the analysis assumes.
 */
function serverPrivacy(v: ServerSettings): ServerConfig['privacy'] {
  if (v.dp === 'none') {
    resolvePrivacy(v, v.rounds, 1); // refuses DP keys set without a DP mode
    return undefined;
  }
  if (v.dp === 'central' && v.clientsPerRound !== undefined) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      '"dp" central needs "fraction" (the sampling rate the accountant charges), not "clientsPerRound"',
      { key: 'clientsPerRound' },
    );
  }
  if (v.overSelection > 0) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      '"overSelection" keeps the fastest results, not the uniform sample "dp" accounts for; set overSelection to 0',
      { key: 'overSelection' },
    );
  }
  const resolved = resolvePrivacy(v, v.rounds, v.clientsPerRound === undefined ? v.fraction : 1)!;
  const settings = Object.fromEntries(PRIVACY_KEYS.filter((k) => v[k] !== undefined).map((k) => [k, v[k]]));
  return { policy: resolved.policy, settings };
}

/**
 * The engine config: the run settings as a simulation reads them, except that a server may select a fixed number of
 * clients (`clientsPerRound`, optionally over-selected) instead of a fraction.
 */
function serverEngine(v: ServerSettings, given: ReadonlySet<string>): EngineConfig {
  const perRound = v.clientsPerRound;
  if (perRound !== undefined && given.has('fraction')) {
    throw new FlotillaError('CONFIG_INVALID', 'give "fraction" or "clientsPerRound", not both', {
      key: 'clientsPerRound',
    });
  }
  const evaluateEvery =
    v.evaluateEvery ?? (v.dataset !== undefined && testFractionOf(v, v.dataset) > 0 ? 1 : 0);
  const { fractionFit, ...engine } = runEngineConfig(v, evaluateEvery);
  return {
    ...engine,
    ...(perRound === undefined
      ? { fractionFit }
      : { clientsPerRound: Math.ceil(perRound * (1 + v.overSelection) - 1e-9) }),
    // Over-selection: the clientsPerRound fastest results commit the round.
    ...(v.minResults === undefined && perRound !== undefined && v.overSelection > 0
      ? { minResults: { count: perRound } }
      : { minResults: minResultsOf(v.minResults) }),
  };
}

const PATH_KEYS = ['db', 'tlsDir', 'cert', 'key', 'ca', 'adminTokenFile'] as const;

/** Paths of the server's own files in a config file are relative to the file, not to the working directory. */
function rebased(layer: Layer, base: string): Layer {
  const values = { ...layer.values };
  for (const key of PATH_KEYS) {
    const v = values[key];
    if (typeof v === 'string' && !isAbsolute(v)) values[key] = resolve(base, v);
  }
  return { ...layer, values };
}

/** Where `/metrics` is served; a listener setting without its port (or with metrics off) is refused, not ignored. */
function metricsOf(v: ServerSettings): ServerConfig['metrics'] {
  const stray =
    v.metricsPort === undefined ? (v.metricsHost !== undefined ? 'metricsHost' : undefined) : 'metricsPort';
  if (!v.metrics && stray !== undefined) {
    throw new FlotillaError('CONFIG_INVALID', `"${stray}" is set but "metrics" is false`, { key: stray });
  }
  if (v.metricsPort === undefined && v.metricsHost !== undefined) {
    throw new FlotillaError(
      'CONFIG_INVALID',
      '"metricsHost" needs "metricsPort" (the listener it is the address of)',
      {
        key: 'metricsHost',
      },
    );
  }
  if (!v.metrics) return false;
  return v.metricsPort === undefined
    ? {}
    : { port: v.metricsPort, ...(v.metricsHost !== undefined ? { host: v.metricsHost } : {}) };
}

/** The server's config from its settings and the keys the user set (`readServerOptions`). */
export function serverConfigFromOptions({
  settings: v,
  given,
  flags,
}: {
  readonly settings: ServerSettings;
  readonly given: ReadonlySet<string>;
  /** The keys set as flags (the rest come from a config file or defaults). */
  readonly flags?: ReadonlySet<string>;
}): ServerConfig {
  refuseSimulatedAttacks(v, given, 'a server');
  const { inputShape, numClasses } = serverModelInput(v);
  const fromDir = (name: string) => (v.tlsDir ? join(v.tlsDir, name) : undefined);
  const cert = v.cert ?? fromDir('server.crt');
  const key = v.key ?? fromDir('server.key');
  const ca = v.ca ?? fromDir('ca.crt');
  if (!v.insecure && (!cert || !key)) {
    throw new FlotillaError(
      'TLS_INVALID',
      'TLS needs --tls-dir (or --cert and --key); create them with `flotilla certs init`, or pass --insecure',
    );
  }
  const engine = serverEngine(v, given);
  const privacy = serverPrivacy(v);
  const adminToken = readSecret({
    flag: '--admin-token',
    fromFlag: v.adminToken,
    fileFlag: '--admin-token-file',
    file: v.adminTokenFile,
    env: 'FLOTILLA_ADMIN_TOKEN',
    // A token in the config file is as private as the file; only one on the command line shows in `ps`.
    warn: (line) => flags?.has('adminToken') && process.stderr.write(`${line}\n`),
  });
  const strategy = strategyParams(v);
  const metrics = metricsOf(v);
  return {
    host: v.host,
    port: v.port,
    dbPath: v.db,
    ...(v.insecure
      ? {}
      : { tls: { cert: cert!, key: key!, ...(ca ? { ca } : {}), requireClientCert: v.mtls } }),
    ...(adminToken ? { adminToken } : {}),
    runId: v.runId ?? 'default',
    model: { name: modelOf(v, v.dataset), inputShape, numClasses, seed: v.modelSeed ?? v.seed },
    strategy: strategy.name,
    strategyParams: strategy.params,
    engine,
    ...(privacy ? { privacy } : {}),
    minClients: v.minClients,
    waitForAllClients: v.waitForAllClients,
    metrics,
    limits: {
      heartbeatMs: v.heartbeatMs,
      heartbeatTimeoutMs: v.heartbeatTimeoutMs,
      maxFrameBytes: v.maxFrameBytes,
      maxMessageBytes: v.maxMessageBytes,
      maxReassemblyBytes: v.maxReassemblyBytes,
      maxHelloBytes: v.maxHelloBytes,
      maxHeaderBytes: v.maxHeaderBytes,
      handshakeTimeoutMs: v.handshakeTimeoutMs,
      idleTimeoutMs: v.idleTimeoutMs,
      maxUnauthenticated: v.maxUnauthenticated,
      messagesPerSecond: v.messagesPerSecond,
    },
  };
}

/** Server log lines: one JSON object per line on stderr, for people and for log collectors. */
export function logLine(
  event:
    | ServerLogEvent
    | { readonly event: 'ignored-settings'; readonly keys: readonly string[]; readonly reason: string }
    | RoundLogRecord,
): void {
  process.stderr.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
}

/** Reads `--config FILE` (if any) and the flags into the server's settings, and the keys the user set. */
export function readServerOptions(args: readonly string[]) {
  const { line, settings, given } = SERVER_COMMAND.read(args, {
    extras: ['config'],
    file: ({ extras }) =>
      extras.config === undefined
        ? undefined
        : rebased(readConfigFile(extras.config), dirname(resolve(extras.config))),
  });
  if (line.positionals.length > 0) throw usageError(`unexpected argument "${line.positionals[0]}"`);
  return { settings, given, flags: new Set(Object.keys(line.values)) };
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
      'The run settings are those of `flotilla simulate`: a simulate config file runs here unchanged. Its dataset',
      "fixes the model's input when inputSize is not set; keys that only shape a simulated split are ignored (logged).",
      '',
      SERVER_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const options = readServerOptions(args);
    const config = serverConfigFromOptions(options);
    const ignored = ignoredKeys(options.given);
    if (ignored.length > 0) {
      logLine({
        event: 'ignored-settings',
        keys: ignored,
        reason: 'they describe a simulated data split or a simulation',
      });
    }
    if (!config.tls) {
      process.stderr.write(
        'WARNING: --insecure: serving plain ws:// without TLS. Tokens and models cross the network in clear text.\n',
      );
    }
    // The handlers go in before the server starts: its log says "waiting" from inside startServer, and a
    // signal sent on that line must stop it cleanly rather than kill the process with the default action.
    let stopRequested = false;
    let stop = () => {
      stopRequested = true;
    };
    const onSignal = () => stop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const server = await startServer(config, {
      log: logLine,
      // A log line per committed round with an ETA: a long run's log never goes silent between connections.
      subscribe: (events) => attachRoundLog(events, logLine),
    });
    stop = () => void server.close();
    if (stopRequested) stop();
    try {
      const result = await server.finished;
      process.stdout.write(`${JSON.stringify({ status: result.status, lastRound: result.lastRound })}\n`);
      return 0;
    } finally {
      await server.close();
    }
  },
};

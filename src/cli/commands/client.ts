/**
 * `flotilla client`: a Node client process. It trains on its local stroke CSV, talks to the server over TLS
 * WebSockets, reconnects with backoff after failures, caches the latest global model on disk, and exits 0 when the
 * server says the run is finished.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClientRuntime, runWithReconnect } from '../../client/index.js';
import { FileModelCache, FilePrivacyLedger, nodeWebSocketFactory } from '../../client/node/index.js';
import { MODEL_NAMES, type ModelName } from '../../ml/index.js';
import { he } from '../../privacy/index.js';
import type { Command } from '../command.js';
import { preprocessedTrainer, strokeTrainer } from '../local-trainer.js';
import { loadIdentity } from './identity.js';
import { formatOptionHelp, mergeOptions, parseFlags, usageError, type OptionSpec } from '../options.js';

export const CLIENT_OPTIONS: readonly OptionSpec[] = [
  { key: 'server', type: 'string', description: 'server endpoint, e.g. wss://127.0.0.1:8443/ws' },
  { key: 'id', type: 'string', description: "this client's registered name" },
  { key: 'token', type: 'string', description: 'token from `flotilla clients add` (env FLOTILLA_TOKEN)' },
  {
    key: 'data',
    type: 'string',
    description:
      'local CSV: a stroke CSV (Kaggle layout) split locally, or with --preprocessing the training rows',
  },
  {
    key: 'preprocessing',
    type: 'string',
    description:
      'preprocessing JSON shared by the federation: encode --data and --test-data with it instead of local statistics',
  },
  {
    key: 'testData',
    type: 'string',
    description: 'held-out CSV for federated evaluation (with --preprocessing)',
  },
  {
    key: 'model',
    type: 'enum',
    values: MODEL_NAMES,
    default: 'tabular-mlp',
    description: 'model architecture',
  },
  { key: 'ca', type: 'string', description: 'CA certificate to trust (from `flotilla certs init`)' },
  { key: 'cert', type: 'string', description: 'client certificate for mutual TLS' },
  { key: 'key', type: 'string', description: 'client key for mutual TLS' },
  {
    key: 'cacheDir',
    type: 'string',
    default: '.flotilla-cache',
    description: 'where the latest global model is kept',
  },
  {
    key: 'dataSeed',
    type: 'integer',
    default: 0,
    description: 'seed of the local train/test split (without --preprocessing)',
  },
  {
    key: 'heKeys',
    type: 'string',
    description: 'CKKS key file the clients share (`flotilla he keygen`), for homomorphic aggregation',
  },
  {
    key: 'identity',
    type: 'string',
    description:
      "identity key file (`flotilla identity keygen`): sign this client's secure-aggregation keys and require signed rounds (needs --roster)",
  },
  {
    key: 'roster',
    type: 'string',
    description:
      "roster of every client's identity public key, from the federation's operators (not the server)",
  },
  {
    key: 'targetEpsilon',
    type: 'number',
    above: 0,
    description:
      "this client's own privacy budget for local DP and DP-SGD: it refuses (and tells the server) to send an update that would take its epsilon above it. Its ledger is kept in --cache-dir across restarts",
  },
  {
    key: 'targetDelta',
    type: 'number',
    above: 0,
    max: 0.1,
    default: 1e-5,
    description: 'the delta of --target-epsilon',
  },
  { key: 'quiet', type: 'boolean', default: false, description: 'print nothing but errors' },
];

export const clientCommand: Command = {
  name: 'client',
  summary: 'run a federated client process that trains on local data',
  help: () =>
    [
      'Usage: flotilla client --server wss://HOST:PORT/ws --id NAME --token T --data PATH [--ca FILE]',
      '       [--preprocessing FILE --test-data PATH]',
      '',
      formatOptionHelp(CLIENT_OPTIONS),
    ].join('\n'),
  async run(args) {
    const parsed = parseFlags(CLIENT_OPTIONS, args);
    if (parsed.positionals.length > 0) throw usageError(`unexpected argument "${parsed.positionals[0]}"`);
    const v = mergeOptions(CLIENT_OPTIONS, parsed.values);
    const token = (v.token as string | undefined) ?? process.env.FLOTILLA_TOKEN ?? '';
    for (const key of ['server', 'id', 'data'] as const) {
      if (v[key] === undefined) throw usageError(`client needs --${key}`);
    }
    const clientId = v.id as string;
    const say = (text: string) => v.quiet || process.stderr.write(`[${clientId}] ${text}\n`);
    if (v.testData !== undefined && v.preprocessing === undefined) {
      throw usageError('--test-data needs --preprocessing (without it the client splits --data itself)');
    }
    const local = v.preprocessing
      ? await preprocessedTrainer(
          {
            train: v.data as string,
            ...(v.testData ? { test: v.testData as string } : {}),
            preprocessing: v.preprocessing as string,
          },
          v.model as ModelName,
        )
      : await strokeTrainer(v.data as string, v.model as ModelName, v.dataSeed as number);
    say(`${local.trainSize} training and ${local.testSize} test rows, ${local.inputSize} features`);
    const homomorphicKeys = v.heKeys
      ? he.loadKeys(await he.loadSeal(), await readFile(v.heKeys as string))
      : undefined;
    if ((v.identity === undefined) !== (v.roster === undefined)) {
      throw usageError('--identity and --roster go together');
    }
    const identity = v.identity ? await loadIdentity(v.identity as string, v.roster as string) : undefined;
    const cache = new FileModelCache(join(v.cacheDir as string, `${clientId}.model`));
    const runtime = new ClientRuntime(local.trainer, {
      ...(homomorphicKeys ? { homomorphicKeys } : {}),
      ...(identity ? { identity } : {}),
      ...(v.targetEpsilon !== undefined
        ? { privacyBudget: { epsilon: v.targetEpsilon as number, delta: v.targetDelta as number } }
        : {}),
      ledger: new FilePrivacyLedger(join(v.cacheDir as string, `${clientId}.privacy-ledger.json`)),
    });
    await runtime.restoreLedger();
    const spent = runtime.privacy.accountant.entries.length;
    if (spent > 0) {
      const epsilon = runtime.privacy.accountant.getEpsilon(v.targetDelta as number).epsilon;
      say(
        `privacy ledger: ${spent} release(s), epsilon ${epsilon.toFixed(4)} at delta ${String(v.targetDelta)}`,
      );
    }
    const cached = await cache.load();
    if (cached) say(`cached global model from round ${cached.round}`);
    const abort = new AbortController();
    process.once('SIGINT', () => abort.abort());
    process.once('SIGTERM', () => abort.abort());
    const outcome = await runWithReconnect({
      url: v.server as string,
      clientId,
      token,
      runtime,
      connect: nodeWebSocketFactory({
        ...(v.ca ? { caFile: v.ca as string } : {}),
        ...(v.cert ? { certFile: v.cert as string } : {}),
        ...(v.key ? { keyFile: v.key as string } : {}),
      }),
      capabilities: { runtime: `node-${process.versions.node}` },
      signal: abort.signal,
      onWelcome: (w) => say(`connected (session ${w.sessionId})`),
      onGlobalModel: (params, round) => cache.save(params, round),
      onTask: (t) => say(`round ${t.round}: ${t.type} in ${t.ms} ms`),
      onDisconnect: (end, ms) =>
        say(
          `disconnected: ${end.refusal ? `${end.refusal.code}: ${end.refusal.message}` : end.reason}; retry in ${Math.round(ms)} ms`,
        ),
    });
    say(outcome === 'finished' ? 'the run is finished' : 'stopped');
    return 0;
  },
};

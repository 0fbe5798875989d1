/**
 * `flotilla client`: a Node client process. It trains on its local data (a stroke CSV, a CSV encoded with the
 * federation's preprocessing, or IDX images with their labels), talks to the server over TLS
 * WebSockets, reconnects with backoff after failures, caches the latest global model on disk, and exits 0 when the
 * server says the run is finished.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ClientRuntime, runWithReconnect } from '../../client/index.js';
import {
  FileModelCache,
  FilePrivacyLedger,
  nodeResourceProbe,
  defaultClientCacheDir,
  nodeWebSocketFactory,
} from '../../client/node/index.js';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { he } from '../../privacy/index.js';
import { usageError, type Command } from '../command.js';
import { imageTrainer, preprocessedTrainer, strokeTrainer, type LocalTrainer } from '../local-trainer.js';
import { checkRunModel } from '../run-model-check.js';
import { loadIdentity } from './identity.js';
import { readSecret } from '../secret.js';
import { commandSettings, text } from '../settings/index.js';
import { TRAINING_SETTINGS } from '../settings/run-training.js';

/** The cache folder clients used by default before it moved to the user's cache. */
const LEGACY_CACHE_DIR = '.flotilla-cache';

/**
 * A ledger left in the old default folder would be silently forgotten by the new default, and the client would spend
 * its privacy budget again from zero: refuse, and name the flag that keeps it.
 */
function refuseForgottenLedger(clientId: string): void {
  const legacy = join(LEGACY_CACHE_DIR, `${clientId}.privacy-ledger.json`);
  if (existsSync(legacy)) {
    throw usageError(
      `${legacy} holds this client's privacy ledger from the old default cache folder: pass --cache-dir ${LEGACY_CACHE_DIR} to keep counting it`,
    );
  }
}

export const CLIENT_SCHEMA = z.strictObject({
  server: text().optional().meta({ description: 'server endpoint, e.g. wss://127.0.0.1:8443/ws' }),
  id: text().optional().meta({ description: "this client's registered name" }),
  token: text().optional().meta({
    description:
      'token from `flotilla clients add`; visible to other users in `ps`: prefer env FLOTILLA_TOKEN or --token-file',
  }),
  tokenFile: text()
    .optional()
    .meta({ description: 'file whose first line is the token (keep it mode 0600)' }),
  data: text().optional().meta({
    description:
      'local data: a stroke CSV (Kaggle layout) split locally, with --preprocessing the training rows, or with --labels an IDX images file (.gz or not)',
  }),
  labels: text().optional().meta({
    description:
      "IDX labels file of the --data images: an image task (the run's model takes [rows, cols, 1] images, e.g. --dataset mnist)",
  }),
  preprocessing: text().optional().meta({
    description:
      'preprocessing JSON shared by the federation: encode --data and --test-data with it instead of local statistics',
  }),
  testData: text().optional().meta({
    description:
      'held-out data for federated evaluation: a CSV (with --preprocessing) or IDX images (with --test-labels)',
  }),
  testLabels: text().optional().meta({ description: 'IDX labels file of the --test-data images' }),
  model: TRAINING_SETTINGS.model.meta({
    description: "the run's model architecture (default: mlp, the 2NN, with --labels; tabular-mlp otherwise)",
  }),
  ca: text().optional().meta({ description: 'CA certificate to trust (from `flotilla certs init`)' }),
  cert: text().optional().meta({ description: 'client certificate for mutual TLS' }),
  key: text().optional().meta({ description: 'client key for mutual TLS' }),
  cacheDir: text().optional().meta({
    description:
      "where the latest global model and this client's privacy ledger are kept; default a folder per server in the user's cache ($XDG_CACHE_HOME/flotilla or ~/.cache/flotilla)",
  }),
  dataSeed: z.int().default(0).meta({
    description: 'seed of the local train/test split (without --preprocessing or --test-data)',
  }),
  heKeys: text().optional().meta({
    description: 'CKKS key file the clients share (`flotilla he keygen`), for homomorphic aggregation',
  }),
  identity: text().optional().meta({
    description:
      "identity key file (`flotilla identity keygen`): sign this client's secure-aggregation keys and require signed rounds (needs --roster)",
  }),
  roster: text().optional().meta({
    description:
      "roster of every client's identity public key, from the federation's operators (not the server)",
  }),
  targetEpsilon: z.number().gt(0).optional().meta({
    description:
      "this client's own privacy budget for local DP and DP-SGD: it refuses (and tells the server) to send an update that would take its epsilon above it. Its ledger is kept in --cache-dir across restarts",
  }),
  targetDelta: z.number().gt(0).max(0.1).default(1e-5).meta({ description: 'the delta of --target-epsilon' }),
  quiet: z.boolean().default(false).meta({ description: 'print nothing but errors' }),
});

export const CLIENT_COMMAND = commandSettings(CLIENT_SCHEMA);

/** The server endpoint as a ws:// or wss:// URL, checked before anything is loaded. */
function serverUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw usageError(`--server "${server}" is not a URL; give the endpoint, e.g. wss://127.0.0.1:8443/ws`);
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') {
    throw usageError(
      `--server "${server}" is not a WebSocket endpoint (wss://HOST:PORT/ws), its scheme is ${url.protocol}`,
    );
  }
  return server;
}

/** The trainer the data flags ask for: IDX images (--labels), a preprocessed CSV, or a stroke CSV split here. */
function loadLocalTrainer(data: string, v: z.infer<typeof CLIENT_SCHEMA>): Promise<LocalTrainer> {
  if (v.testLabels !== undefined && (v.labels === undefined || v.testData === undefined)) {
    throw usageError('--test-labels needs --labels and --test-data (the test images)');
  }
  if (v.labels !== undefined) {
    if (v.preprocessing !== undefined)
      throw usageError('--preprocessing is for CSV data, not --labels images');
    if (v.testData !== undefined && v.testLabels === undefined) {
      throw usageError('--test-data images need their --test-labels');
    }
    const test = v.testData && v.testLabels ? { images: v.testData, labels: v.testLabels } : undefined;
    return imageTrainer(
      { train: { images: data, labels: v.labels }, ...(test ? { test } : {}) },
      v.model ?? 'mlp',
      v.dataSeed,
    );
  }
  const model = v.model ?? 'tabular-mlp';
  if (v.preprocessing === undefined) {
    if (v.testData !== undefined) {
      throw usageError('--test-data needs --preprocessing (without it the client splits --data itself)');
    }
    return strokeTrainer(data, model, v.dataSeed);
  }
  const test = v.testData ? { test: v.testData } : {};
  return preprocessedTrainer({ train: data, ...test, preprocessing: v.preprocessing }, model);
}

export const clientCommand: Command = {
  name: 'client',
  summary: 'run a federated client process that trains on local data',
  help: () =>
    [
      'Usage: flotilla client --server wss://HOST:PORT/ws --id NAME --data PATH [--token-file FILE] [--ca FILE]',
      '       [--preprocessing FILE --test-data PATH]',
      '       [--labels FILE [--test-data FILE --test-labels FILE]]   (images: IDX files, plain or .gz)',
      '',
      'The token comes from --token-file or the environment (FLOTILLA_TOKEN): a --token flag is visible to every',
      'user of the machine in `ps`.',
      '',
      CLIENT_COMMAND.help(),
    ].join('\n'),
  async run(args) {
    const { line, settings: v } = CLIENT_COMMAND.read(args);
    if (line.positionals.length > 0) throw usageError(`unexpected argument "${line.positionals[0]}"`);
    const { server, id: clientId, data } = v;
    if (server === undefined) throw usageError('client needs --server');
    const url = serverUrl(server);
    if (clientId === undefined) throw usageError('client needs --id');
    if (data === undefined) throw usageError('client needs --data');
    const say = (text: string) => v.quiet || process.stderr.write(`[${clientId}] ${text}\n`);
    const token =
      readSecret({
        flag: '--token',
        fromFlag: v.token,
        fileFlag: '--token-file',
        file: v.tokenFile,
        env: 'FLOTILLA_TOKEN',
        warn: (text) => process.stderr.write(`[${clientId}] ${text}\n`),
      }) ?? '';
    if (token === '' && v.cert === undefined) {
      throw usageError(
        'client needs its token: set FLOTILLA_TOKEN or pass --token-file (or --cert under mutual TLS)',
      );
    }
    if (v.cacheDir === undefined) refuseForgottenLedger(clientId);
    const local = await loadLocalTrainer(data, v);
    say(
      `${local.trainSize} training and ${local.testSize} test examples of shape [${local.inputShape.join(', ')}], backend ${local.backend}`,
    );
    const homomorphicKeys = v.heKeys ? he.loadKeys(await he.loadSeal(), await readFile(v.heKeys)) : undefined;
    if ((v.identity === undefined) !== (v.roster === undefined)) {
      throw usageError('--identity and --roster go together');
    }
    const identity = v.identity && v.roster ? await loadIdentity(v.identity, v.roster) : undefined;
    const cacheDir = v.cacheDir ?? defaultClientCacheDir(url);
    const cache = new FileModelCache(join(cacheDir, `${clientId}.model`));
    const checked = checkRunModel(local.trainer, local.layout, local);
    const runtime = new ClientRuntime(checked.trainer, {
      ...(homomorphicKeys ? { homomorphicKeys } : {}),
      ...(identity ? { identity } : {}),
      ...(v.targetEpsilon !== undefined
        ? { privacyBudget: { epsilon: v.targetEpsilon, delta: v.targetDelta } }
        : {}),
      ledger: new FilePrivacyLedger(join(cacheDir, `${clientId}.privacy-ledger.json`)),
      resources: nodeResourceProbe(() => tf.getBackend()),
    });
    await runtime.restoreLedger();
    const spent = runtime.privacy.accountant.entries.length;
    if (spent > 0) {
      const epsilon = runtime.privacy.accountant.getEpsilon(v.targetDelta).epsilon;
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
      url,
      clientId,
      token,
      runtime,
      connect: nodeWebSocketFactory({
        ...(v.ca ? { caFile: v.ca } : {}),
        ...(v.cert ? { certFile: v.cert } : {}),
        ...(v.key ? { keyFile: v.key } : {}),
      }),
      capabilities: { runtime: `node-${process.versions.node}-${local.backend}` },
      signal: abort.signal,
      onWelcome: (w) => say(`connected (session ${w.sessionId})`),
      onGlobalModel: (params, round) => cache.save(params, round),
      onTask: (t) => {
        say(`round ${t.round}: ${t.type} in ${t.ms} ms`);
        // Reported to the server (the task's failure) before it stops: no later task could succeed either.
        if (checked.mismatch()) abort.abort();
      },
      onDisconnect: (end, ms) =>
        say(
          `disconnected: ${end.refusal ? `${end.refusal.code}: ${end.refusal.message}` : end.reason}; retry in ${Math.round(ms)} ms`,
        ),
    });
    const mismatch = checked.mismatch();
    if (mismatch) throw mismatch;
    say(outcome === 'finished' ? 'the run is finished' : 'stopped');
    return 0;
  },
};

/**
 * A run resumes only under the differential privacy it started with: its ledger must not be forgotten (resumed
 * without DP), nor can earlier unprotected rounds be accounted for (resumed with DP).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ParameterLayout, ParameterSet } from '../core/index.js';
import { DpFedAvgPolicy } from '../engine/index.js';
import { SqliteStorage } from '../storage/sqlite/index.js';
import { startServer, type ServerConfig } from './server.js';

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const layout = new ParameterLayout([{ name: 'w', shape: [2] }]);
const params = () => new ParameterSet(layout, new Float32Array([0.5, -0.5]));

/** A database holding run "r" with round 1 committed, with or without a privacy ledger. */
async function runWithOneRound(ledger: unknown): Promise<string> {
  dir = await mkdtemp(join(tmpdir(), 'flotilla-resume-'));
  const db = join(dir, 'server.db');
  const storage = SqliteStorage.open(db);
  await storage.createRun({ runId: 'r', name: 'r', strategy: 'fedavg', config: {}, initialParams: params() });
  await storage.commitRound('r', {
    record: { round: 1 },
    params: params(),
    strategyState: { json: null, tensors: {} },
    ...(ledger === undefined ? {} : { privacyLedger: ledger }),
  });
  await storage.close();
  return db;
}

function config(db: string, dp: boolean): ServerConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    dbPath: db,
    runId: 'r',
    model: { name: 'logreg', inputShape: [1], numClasses: 2, seed: 0 },
    strategy: 'fedavg',
    engine: { rounds: 3 },
    minClients: 1,
    ...(dp
      ? {
          privacy: {
            policy: new DpFedAvgPolicy({
              noiseMultiplier: 1,
              clipNorm: 1,
              sampling: 'fixed-size',
              delta: 1e-5,
            }),
            settings: { dp: 'central' },
          },
        }
      : {}),
  };
}

describe('resuming a run under other privacy settings', () => {
  it('refuses to resume a run that committed rounds without DP with DP on', async () => {
    const db = await runWithOneRound(undefined);
    await expect(startServer(config(db, true))).rejects.toThrow(
      /run r committed 1 round\(s\) without differential privacy; it cannot resume with "dp" on/,
    );
  });

  it('refuses to resume a DP run without DP: its ledger would be forgotten', async () => {
    const ledger = { mechanism: 'dp-fedavg', round: 1, epsilon: 2, delta: 1e-5, state: {} };
    const db = await runWithOneRound(ledger);
    await expect(startServer(config(db, false))).rejects.toThrow(
      /run r spends a dp-fedavg privacy budget; resume it with the same "dp" settings/,
    );
  });
});

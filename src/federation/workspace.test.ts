import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { applyTabularCsvFile, readTabularPreprocessingFile } from '../data/index.js';
import { parseCohorts, prepareScenario, type ScenarioConfig } from '../sim/scenario.js';
import { claimWorkspace, prepareWorkspace } from './workspace.js';

const scenario: ScenarioConfig = {
  dataset: 'stroke',
  cohorts: parseCohorts('A:elderly-urban:120,B:young-professionals:90'),
  testFraction: 0.25,
  partition: 'attribute',
  partitionAttribute: 'cohort',
  alpha: 0.5,
  minPartitionSize: 10,
  shardsPerClient: 2,
  skewExponent: 1,
  clients: 2,
  model: 'tabular-mlp',
  seed: 7,
};

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('prepareWorkspace', () => {
  it("writes each party's rows so that they encode exactly as the simulator's clients", async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-workspace-'));
    const workspace = await prepareWorkspace(dir, scenario);
    const prepared = await prepareScenario(scenario);
    const preprocessing = await readTabularPreprocessingFile(workspace.preprocessing);
    expect(workspace.parties.map((p) => p.id)).toEqual(prepared.clients.map((c) => c.id));
    expect(workspace.inputSize).toBe(prepared.featureShape[0]);
    for (const [k, party] of workspace.parties.entries()) {
      const client = prepared.clients[k]!;
      const train = (await applyTabularCsvFile(party.train, preprocessing)).dataset;
      const test = (await applyTabularCsvFile(party.test, preprocessing)).dataset;
      expect(Array.from(train.features)).toEqual(Array.from(client.train.features));
      expect(Array.from(train.labels)).toEqual(Array.from(client.train.labels));
      expect(Array.from(test.features)).toEqual(Array.from(client.test!.features));
    }
  });

  it('creates certificates and credentials once and reuses them', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-workspace-'));
    const first = await prepareWorkspace(dir, scenario);
    const cert = await readFile(join(first.tlsDir, 'server.crt'), 'utf8');
    const second = await prepareWorkspace(dir, scenario);
    expect(first.createdCertificates).toBe(true);
    expect(second.createdCertificates).toBe(false);
    expect(await readFile(join(second.tlsDir, 'server.crt'), 'utf8')).toBe(cert);
    expect(second.parties.map((p) => p.token)).toEqual(first.parties.map((p) => p.token));

    // A registered party whose saved token was lost cannot be recovered: the error says how to start afresh.
    await writeFile(join(dir, 'clients.json'), '{}');
    await expect(prepareWorkspace(dir, scenario)).rejects.toThrow(/remove .* to start afresh/);
  });

  it('refuses a preprocessing file that does not match its schema', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-workspace-'));
    const workspace = await prepareWorkspace(dir, scenario);
    const json = JSON.parse(await readFile(workspace.preprocessing, 'utf8')) as { columns: unknown[] };
    json.columns.pop();
    await writeFile(workspace.preprocessing, JSON.stringify(json));
    await expect(readTabularPreprocessingFile(workspace.preprocessing)).rejects.toThrow(
      /not the schema's feature columns/,
    );
    await writeFile(workspace.preprocessing, '{"schema": 1}');
    await expect(readTabularPreprocessingFile(workspace.preprocessing)).rejects.toThrow(/schema/);
  });
});

describe('claimWorkspace', () => {
  it('lets one federation at a time use a folder, and refuses a --dir that is a file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-workspace-'));
    const folder = join(dir, 'federation');
    const lock = await claimWorkspace(folder);
    const second = await claimWorkspace(folder).catch((error: unknown) => error);
    expect(isFlotillaError(second, 'STORAGE_LOCKED')).toBe(true);
    expect((second as Error).message).toBe(
      `folder ${folder} is in use by another flotilla federation (npm start); wait for it to end or give this one its own --dir`,
    );
    lock.release();
    (await claimWorkspace(folder)).release();
    const file = join(dir, 'a-file');
    await writeFile(file, 'x');
    await expect(claimWorkspace(file)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: `--dir ${file} is a file, not a folder`,
    });
  });
});

/**
 * The working folder of a local federation (default `.flotilla/federation/`):
 *   tls/                      CA and server certificate, created on the first run and reused after
 *   server.db                 the server's storage: every run, its rounds and models, the client registry
 *   clients.json              each party's token (owner-readable only; the database keeps only salted hashes)
 *   data/ID-train.csv         each party's training rows, exactly the rows the simulator gives that client
 *   data/ID-test.csv          its held-out rows (federated evaluation and the final report)
 *   data/preprocessing.json   imputation, standardization and categories fitted on the union of the training rows;
 *                             in a real deployment these would be federated aggregate statistics
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FlotillaError } from '../core/index.js';
import { writeTabularPreprocessingFile } from '../data/index.js';
import { createCertificates } from '../server/index.js';
import { splitTabularScenario, type ScenarioConfig } from '../sim/scenario.js';
import { SqliteStorage } from '../storage/sqlite/index.js';
import { lockFile, type FileLock } from '../storage/sqlite/lock.js';

export interface Party {
  readonly id: string;
  readonly token: string;
  readonly train: string;
  readonly test: string;
  readonly trainRows: number;
  readonly testRows: number;
}

export interface Workspace {
  readonly dir: string;
  readonly tlsDir: string;
  readonly db: string;
  readonly preprocessing: string;
  readonly parties: readonly Party[];
  /** Encoded features per example and classes, for the server's model. */
  readonly inputSize: number;
  readonly numClasses: number;
  /** Whether this call created the certificates (the first run). */
  readonly createdCertificates: boolean;
}

/**
 * Makes the working folder and takes its lock for the whole run: two federations in one folder would overwrite each
 * other's data files and token file and register the same parties twice. A crashed run's lock goes with its process.
 */
export async function claimWorkspace(dir: string): Promise<FileLock> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw new FlotillaError('CONFIG_INVALID', `--dir ${dir} is a file, not a folder`, { key: 'dir' });
    }
    throw new FlotillaError(
      'CONFIG_INVALID',
      `cannot create the folder --dir ${dir}: ${(error as Error).message}`,
      {
        key: 'dir',
      },
    );
  }
  return lockFile(
    join(dir, 'federation'),
    `folder ${dir} is in use by another flotilla federation (npm start); wait for it to end or give this one its own --dir`,
  );
}

async function ensureCertificates(tlsDir: string): Promise<boolean> {
  if (['ca.crt', 'server.crt', 'server.key'].every((f) => existsSync(join(tlsDir, f)))) return false;
  await createCertificates(tlsDir, { hosts: ['127.0.0.1', 'localhost'], clients: [] });
  return true;
}

/** Registers each party once and keeps its token; a registered party without a saved token cannot be recovered. */
async function ensureTokens(
  dir: string,
  db: string,
  ids: readonly string[],
): Promise<Record<string, string>> {
  const file = join(dir, 'clients.json');
  const tokens: Record<string, string> = existsSync(file)
    ? (JSON.parse(await readFile(file, 'utf8')) as Record<string, string>)
    : {};
  const storage = SqliteStorage.open(db);
  try {
    for (const id of ids) {
      const token = tokens[id];
      if (token !== undefined && (await storage.verifyClientToken(id, token))) continue;
      if (await storage.getClient(id)) {
        throw new FlotillaError(
          'STATE_INVALID',
          `client "${id}" is registered in ${db} but its token in ${file} is missing or not valid; remove ${dir} to start afresh`,
        );
      }
      tokens[id] = (await storage.addClient(id)).token;
    }
  } finally {
    await storage.close();
  }
  await writeFile(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  return tokens;
}

export async function prepareWorkspace(dir: string, scenario: ScenarioConfig): Promise<Workspace> {
  const dataDir = join(dir, 'data');
  await mkdir(dataDir, { recursive: true });
  const tlsDir = join(dir, 'tls');
  const createdCertificates = await ensureCertificates(tlsDir);
  const rows = await splitTabularScenario(scenario);
  const preprocessing = join(dataDir, 'preprocessing.json');
  await writeTabularPreprocessingFile(preprocessing, rows.preprocessing);
  const db = join(dir, 'server.db');
  const tokens = await ensureTokens(
    dir,
    db,
    rows.clients.map((c) => c.id),
  );
  const parties: Party[] = [];
  for (const client of rows.clients) {
    const train = join(dataDir, `${client.id}-train.csv`);
    const test = join(dataDir, `${client.id}-test.csv`);
    await writeFile(train, rows.table.toCsv(client.train), 'utf8');
    await writeFile(test, rows.table.toCsv(client.test), 'utf8');
    parties.push({
      id: client.id,
      token: tokens[client.id]!,
      train,
      test,
      trainRows: client.train.length,
      testRows: client.test.length,
    });
  }
  return {
    dir,
    tlsDir,
    db,
    preprocessing,
    parties,
    inputSize: rows.preprocessing.featureNames.length,
    numClasses: rows.preprocessing.classes.length,
    createdCertificates,
  };
}

/**
 * An operator's mistakes, through the built `flotilla` binary in child processes: each ends with one line naming the
 * problem, exit code 2 and no stack trace, and changes nothing it should not (no run created, no empty database
 * made, no CA or roster entry replaced, no live run taken over). `npm test` builds dist/ before the suite.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificates } from '../src/server/certs.js';
import { SqliteStorage } from '../src/storage/sqlite/index.js';
import { waitFor } from './support/federation.js';

const exec = promisify(execFile);
const BIN = new URL('../bin/flotilla.js', import.meta.url).pathname;
let dir: string;
let tlsDir: string;
const running: ChildProcess[] = [];

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without tokens the test runner may have, plus `env`. */
function environment(env: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { FLOTILLA_TOKEN: _t, FLOTILLA_ADMIN_TOKEN: _a, ...rest } = process.env;
  return { ...rest, ...env };
}

async function flotilla(args: readonly string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await exec(process.execPath, [BIN, ...args], {
      cwd: dir,
      env: environment(env),
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

function expectOneLineError(outcome: Outcome, pattern: RegExp): void {
  expect(outcome.code, outcome.stderr).toBe(2);
  const lines = outcome.stderr.trim().split('\n');
  expect(lines, outcome.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(outcome.stderr).not.toMatch(/\n\s+at /);
}

/** A long-running `flotilla server` whose output is collected. */
function startServer(args: readonly string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, 'server', ...args], {
    cwd: dir,
    env: environment(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  const proc = {
    child,
    output: '',
    exited: new Promise((r) => child.once('exit', (code, signal) => r(code ?? signal))),
  };
  child.stdout.on('data', (d: Buffer) => (proc.output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (proc.output += d.toString()));
  return proc;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flotilla-mistakes-'));
  tlsDir = join(dir, 'tls');
  await createCertificates(tlsDir, { hosts: ['127.0.0.1'], clients: [] });
});

afterAll(async () => {
  for (const child of running)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('flotilla server', () => {
  const serverArgs = (db: string, port: number) => [
    '--db',
    db,
    '--tls-dir',
    tlsDir,
    '--port',
    String(port),
    '--input-size',
    '4',
  ];

  it('refuses a port in use with one line, before it creates a run', async () => {
    const holder: Server = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    const port = (holder.address() as { port: number }).port;
    try {
      const db = join(dir, 'port.db');
      expectOneLineError(
        await flotilla(['server', ...serverArgs(db, port)]),
        new RegExp(
          `^flotilla server: error: 127\\.0\\.0\\.1:${port} is already in use by another program; pick another --port$`,
        ),
      );
      const storage = SqliteStorage.open(db, { mustExist: true });
      expect(await storage.listRuns()).toEqual([]);
      await storage.close();
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('refuses a second server on a live database, which keeps its run and admin token (from a file); a SIGKILL frees it', async () => {
    const db = join(dir, 'shared.db');
    writeFileSync(join(dir, 'admin.token'), 'first-admin\n', { mode: 0o600 });
    const first = startServer([
      ...serverArgs(db, 0),
      '--min-clients',
      '2',
      '--admin-token-file',
      'admin.token',
    ]);
    await waitFor(
      () => first.output.includes('"event":"waiting"'),
      60_000,
      'the first server to wait for clients',
    );
    const second = await flotilla(['server', ...serverArgs(db, 0), '--min-clients', '2'], {
      FLOTILLA_ADMIN_TOKEN: 'second-admin',
    });
    expectOneLineError(
      second,
      new RegExp(
        `database ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another flotilla server`,
      ),
    );
    const storage = SqliteStorage.open(db);
    expect(await storage.verifyAdminToken('first-admin')).toBe(true);
    expect(await storage.verifyAdminToken('second-admin')).toBe(false);
    expect((await storage.getRun('default'))?.status).toBe('created');
    first.child.kill('SIGKILL');
    await first.exited;
    const restarted = startServer([...serverArgs(db, 0), '--min-clients', '2']);
    await waitFor(
      () => restarted.output.includes('"event":"waiting"'),
      60_000,
      'the restarted server to wait',
    );
    expect(restarted.output).toContain('"event":"resumed"');
    restarted.child.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
    expect((await storage.getRun('default'))?.status).not.toBe('running');
    await storage.close();
  }, 120_000);
});

describe('commands that read a database', () => {
  it('refuse a database that does not exist, without creating it, and a file that is not one', async () => {
    for (const args of [
      ['runs', 'list', '--db', 'typo.db'],
      ['runs', 'show', 'default', '--db', 'typo.db'],
      ['clients', 'list', '--db', 'typo.db'],
      ['clients', 'revoke', 'a', '--db', 'typo.db'],
    ]) {
      expectOneLineError(
        await flotilla(args),
        /no database typo\.db \(a server creates it on its first start\)/,
      );
    }
    expect(existsSync(join(dir, 'typo.db'))).toBe(false);
    writeFileSync(join(dir, 'data.csv'), 'age,stroke\n'.repeat(200));
    expectOneLineError(
      await flotilla(['runs', 'list', '--db', 'data.csv']),
      /data\.csv is not a Flotilla database \(not an SQLite file\)/,
    );
  });
});

describe('flotilla client', () => {
  it('refuses a server that is not a WebSocket URL, and a missing token', async () => {
    writeFileSync(join(dir, 'site.csv'), 'x\n');
    const base = ['client', '--id', 'a', '--data', 'site.csv'];
    expectOneLineError(
      await flotilla([...base, '--server', 'notaurl']),
      /--server "notaurl" is not a URL; give the endpoint, e.g\. wss:\/\/127\.0\.0\.1:8443\/ws/,
    );
    expectOneLineError(
      await flotilla([...base, '--server', 'https://127.0.0.1:8443']),
      /is not a WebSocket endpoint .* its scheme is https:/,
    );
    expectOneLineError(
      await flotilla([...base, '--server', 'wss://127.0.0.1:1/ws']),
      /client needs its token: set FLOTILLA_TOKEN or pass --token-file/,
    );
  });

  it('refuses to forget a privacy ledger left in the old default cache folder', async () => {
    mkdirSync(join(dir, '.flotilla-cache'), { recursive: true });
    writeFileSync(join(dir, '.flotilla-cache', 'b.privacy-ledger.json'), '{}');
    const args = ['client', '--id', 'b', '--data', 'site.csv', '--server', 'wss://127.0.0.1:1/ws'];
    expectOneLineError(
      await flotilla(args, { FLOTILLA_TOKEN: 'flc_x' }),
      /\.flotilla-cache\/b\.privacy-ledger\.json holds this client's privacy ledger .* pass --cache-dir \.flotilla-cache/,
    );
  });

  it('warns that a token on the command line shows in ps', async () => {
    const outcome = await flotilla([
      'client',
      '--id',
      'a',
      '--data',
      'missing.csv',
      '--server',
      'wss://127.0.0.1:1/ws',
      '--token',
      'flc_x',
    ]);
    expect(outcome.stderr).toContain('[a] warning: --token on the command line is visible to every user');
  });
});

describe('config files and flags', () => {
  it('refuses an empty config file instead of running the defaults', async () => {
    writeFileSync(join(dir, 'empty.yaml'), '# nothing yet\n');
    expectOneLineError(
      await flotilla(['simulate', 'empty.yaml']),
      /empty\.yaml is empty; write its settings in it, or leave the file out to run the defaults/,
    );
  });

  it('reads `--compare false`, takes the model from the dataset, and caps worker threads with a notice', async () => {
    const outcome = await flotilla([
      'simulate',
      '--dataset',
      'stroke',
      '--partition',
      'attribute',
      '--clients',
      '3',
      '--rounds',
      '1',
      '--compare',
      'false',
      '--workers',
      '64',
    ]);
    expect(outcome.code, outcome.stderr).toBe(0);
    expect(outcome.stderr).toMatch(/^using [1-3] worker threads?, not 64: the run has 3 clients/m);
    expect(outcome.stdout).toMatch(/Final model \(round 1\)/);
    expect(outcome.stdout).not.toMatch(/Comparison/);
  }, 120_000);
});

describe('commands that write keys', () => {
  it('certs init keeps an existing CA unless --force', async () => {
    const ca = readFileSync(join(tlsDir, 'ca.crt'), 'utf8');
    expectOneLineError(
      await flotilla(['certs', 'init', tlsDir]),
      /already holds ca\.crt, ca\.key, server\.crt, server\.key; a new CA would replace them .*pass --force/,
    );
    expect(readFileSync(join(tlsDir, 'ca.crt'), 'utf8')).toBe(ca);
    const fresh = await flotilla(['certs', 'init', join(dir, 'tls-new')]);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect((await flotilla(['certs', 'init', join(dir, 'tls-new'), '--force'])).code).toBe(0);
    writeFileSync(join(dir, 'not-a-folder'), '');
    expectOneLineError(
      await flotilla(['certs', 'init', 'not-a-folder']),
      /not-a-folder is a file, not a folder/,
    );
  });

  it("identity keygen keeps a roster's entry unless --force", async () => {
    const keygen = (out: string, ...more: string[]) =>
      flotilla(['identity', 'keygen', '--id', 'north', '--out', out, '--roster', 'roster.json', ...more]);
    expect((await keygen('north-1.id')).code).toBe(0);
    const roster = readFileSync(join(dir, 'roster.json'), 'utf8');
    expectOneLineError(
      await keygen('north-2.id'),
      /roster roster\.json already holds a key for "north"; pass --force to replace it/,
    );
    expect(readFileSync(join(dir, 'roster.json'), 'utf8')).toBe(roster);
    expect(existsSync(join(dir, 'north-2.id'))).toBe(false);
    const forced = await keygen('north-2.id', '--force');
    expect(forced.code).toBe(0);
    expect(readFileSync(join(dir, 'roster.json'), 'utf8')).not.toBe(roster);
  });
});

describe('flotilla federation', () => {
  it('refuses a --dir that is a file', async () => {
    writeFileSync(join(dir, 'a-file'), '');
    expectOneLineError(
      await flotilla(['federation', '--dataset', 'stroke', '--clients', '3', '--dir', 'a-file']),
      /--dir .*a-file is a file, not a folder/,
    );
  });
});

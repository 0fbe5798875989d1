/**
 * `flotilla federation` end to end (a server and three client processes on 127.0.0.1 over TLS, then the report),
 * stopping on Ctrl-C, and `flotilla status` / `flotilla runs` against a real server process and its database.
 * Every process a federation starts is named with its pid in the output; none may outlive the command.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flotilla, prepareFederation, waitFor, type Federation, type Proc } from './support/federation.js';

const CONFIG = new URL('../examples/hospitals/config.yaml', import.meta.url).pathname;

let dir: string | undefined;
let federation: Federation | undefined;
const started: Proc[] = [];
afterEach(async () => {
  for (const p of started.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await federation?.stop();
  federation = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function startedPids(output: string): number[] {
  return [...output.matchAll(/: pid (\d+)/g)].map((m) => Number(m[1]));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function run(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const p = flotilla(args, env);
  started.push(p);
  const code = await p.exited;
  return { code, output: p.output };
}

describe('flotilla federation', () => {
  it('runs a server and three hospital processes over TLS, reports, and leaves no process behind', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-federation-'));
    const { code, output } = await run(['federation', CONFIG, '--rounds', '3', '--dir', dir]);
    expect(code, output).toBe(0);
    expect(output).toContain('created a CA and a server certificate');
    for (const id of ['A', 'B', 'C']) expect(output).toContain(`${id} connected`);
    expect(output).toMatch(/round 3\/3 {2}3\/3 parties/);
    for (const model of ['federated', 'central', 'local-only'])
      expect(output).toMatch(new RegExp(`^${model} .* pooled`, 'm'));
    const pids = startedPids(output);
    expect(pids).toHaveLength(4);
    expect(pids.filter(alive)).toEqual([]);

    // The run is recorded in the working folder's database.
    const runId = /Run (federation-\S+) is recorded/.exec(output)![1]!;
    const runs = await run(['runs', 'list', '--db', join(dir, 'server.db'), '--json']);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.output).runs).toMatchObject([{ runId, status: 'completed', lastRound: 3 }]);
    const shown = await run(['runs', 'show', runId, '--db', join(dir, 'server.db')]);
    expect(shown.code).toBe(0);
    expect(shown.output).toMatch(/^ +3 +3\/3 /m);
  });

  it('stops every process it started on Ctrl-C', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-federation-'));
    const p = flotilla(['federation', CONFIG, '--rounds', '200', '--dir', dir]);
    started.push(p);
    await waitFor(() => /round +1\/200/.test(p.output), 90_000, 'the first round');
    p.child.kill('SIGINT');
    expect(await p.exited, p.output).toBe(130);
    const pids = startedPids(p.output);
    expect(pids).toHaveLength(4);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('restarts a party SIGKILLed mid-round, and the server waits for it: the run completes', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-federation-'));
    const p = flotilla(['federation', CONFIG, '--rounds', '2', '--no-compare', '--dir', dir]);
    started.push(p);
    // Party A is frozen as soon as it joins, so it holds round 1's task (every party's result is needed) until
    // it is killed: the kill lands mid-round whatever the machine's load.
    await waitFor(() => /^A: pid \d+$/m.test(p.output), 90_000, "A's pid");
    const pid = Number(/^A: pid (\d+)$/m.exec(p.output)![1]);
    await waitFor(() => p.output.includes('A connected'), 90_000, 'A to connect');
    process.kill(pid, 'SIGSTOP');
    await waitFor(
      () => p.output.includes('B connected') && p.output.includes('C connected'),
      90_000,
      'B and C',
    );
    process.kill(pid, 'SIGKILL');
    expect(await p.exited, p.output).toBe(0);
    expect(p.output).toContain(`A (pid ${pid}) exited with SIGKILL; restarting it in 1 s`);
    expect(p.output).toMatch(/^A: pid \d+ \(restarted\)$/m);
    expect(p.output).toMatch(
      /^round 1 attempt failed \(2 of 3 client\(s\) returned a valid result, 3 needed\); retrying in \d\.\d s$/m,
    );
    expect(p.output).toMatch(/round 1\/2 {2}3\/3 parties/);
    expect(p.output).toMatch(/round 2\/2 {2}3\/3 parties/);
    const pids = startedPids(p.output);
    expect(pids).toHaveLength(5);
    expect(pids.filter(alive)).toEqual([]);
  });

  it('refuses, in one line, what the server does not run', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-federation-'));
    const images = await run(['federation', '--dataset', 'mnist', '--dir', dir]);
    expect(images.code).toBe(2);
    expect(images.output.trim()).toMatch(/^flotilla federation: error: federation runs tabular data/);
    const attack = await run(['federation', CONFIG, '--attack', 'sign-flip', '--dir', dir]);
    expect(attack.code).toBe(2);
    expect(attack.output.trim()).toMatch(/^flotilla federation: error: "attack" simulates attackers/);
  });

  it('runs the privacy settings of a simulate config: distributed DP under signed SecAgg+, and CKKS', async () => {
    dir = await mkdtemp(join(tmpdir(), 'flotilla-federation-'));
    const db = join(dir, 'server.db');
    const common = [CONFIG, '--rounds', '2', '--dir', dir, '--no-compare'];
    const secure = await run([
      'federation',
      ...common,
      ...['--dp', 'central', '--noise-on', 'clients', '--noise-multiplier', '1', '--clip-norm', '0.5'],
      ...['--secure-aggregation.signed', '--secure-aggregation.max-weight', '2000'],
    ]);
    expect(secure.code, secure.output).toBe(0);
    const he = await run(['federation', ...common, '--homomorphic-aggregation']);
    expect(he.code, he.output).toBe(0);
    const runs = JSON.parse((await run(['runs', 'list', '--db', db, '--json'])).output) as {
      runs: { runId: string; status: string; lastRound: number }[];
    };
    expect(runs.runs.map((r) => [r.status, r.lastRound])).toEqual([
      ['completed', 2],
      ['completed', 2],
    ]);
    const shown = await run([
      'runs',
      'show',
      /Run (federation-\S+) is recorded/.exec(secure.output)![1]!,
      '--db',
      db,
    ]);
    expect(shown.output).toMatch(/privacy +dp-fedavg: epsilon \d/);
  });
});

describe('flotilla status and runs', () => {
  it('reports a waiting server through the admin API, and the run from its database', async () => {
    const f = (federation = await prepareFederation(1, 50));
    const server = f.startServer(['--min-clients', '2', '--admin-token', 'adm1n']);
    await waitFor(() => server.output.includes('"event":"waiting"'), 60_000, 'the server to listen');
    const ca = join(f.tlsDir, 'ca.crt');
    const status = await run(['status', '--server', f.url, '--ca', ca, '--json'], {
      FLOTILLA_ADMIN_TOKEN: 'adm1n',
    });
    expect(status.code, status.output).toBe(0);
    expect(JSON.parse(status.output)).toMatchObject({
      runId: 'default',
      phase: 'waiting',
      lastRound: 0,
      connected: [],
      waiting: { needed: 2, connected: 0, missing: 2 },
    });
    const text = await run(['status', '--server', f.url, '--ca', ca], { FLOTILLA_ADMIN_TOKEN: 'adm1n' });
    expect(text.output).toContain(
      'waiting  waiting for 2 client(s) (0 of 2 connected) before the run starts',
    );

    const wrong = await run(['status', '--server', f.url, '--ca', ca, '--admin-token', 'nope']);
    expect(wrong.code).toBe(2);
    expect(wrong.output).toMatch(/401/);
    const untrusted = await run(['status', '--server', f.url, '--admin-token', 'adm1n']);
    expect(untrusted.code).toBe(2);
    expect(untrusted.output).toMatch(/--ca/);

    const list = await run(['runs', 'list', '--db', f.db]);
    expect(list.output).toMatch(/^default +created +0 +fedavg/m);
    const missing = await run(['runs', 'show', 'nope', '--db', f.db]);
    expect(missing.code).toBe(2);
    expect(missing.output).toMatch(/no run "nope"/);
  });
});

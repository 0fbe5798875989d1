import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { MAX_CRASHES_IN_A_ROW, PartySupervisor } from './parties.js';
import type { ManagedProcess } from './processes.js';

const started: ManagedProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

/** A real child process: `node -e SCRIPT`. */
function node(name: string, script: string): ManagedProcess {
  const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const proc: ManagedProcess = { name, child, exited, tail: () => `${name} said goodbye` };
  started.push(proc);
  return proc;
}

const LONG = 'setTimeout(() => {}, 60000)';

describe('PartySupervisor', () => {
  it('restarts a party that crashed after joining, after a pause that doubles with each crash in a row', async () => {
    const starts: ManagedProcess[] = [];
    const log: string[] = [];
    const supervisor = new PartySupervisor(
      ['A'],
      (id) => {
        const p = node(id, LONG);
        starts.push(p);
        return p;
      },
      (text) => log.push(text),
    );
    supervisor.launch();
    supervisor.joined('A');
    let now = 1_000_000;
    for (const pauseS of [1, 2, 4]) {
      const proc = starts.at(-1)!;
      proc.child.kill('SIGKILL');
      await proc.exited;
      supervisor.check(now);
      expect(log.at(-1)).toBe(`A (pid ${proc.child.pid}) exited with SIGKILL; restarting it in ${pauseS} s`);
      supervisor.check(now + pauseS * 1000 - 1);
      expect(starts.at(-1)).toBe(proc);
      now += pauseS * 1000;
      supervisor.check(now);
      expect(starts.at(-1)).not.toBe(proc);
      expect(log.at(-1)).toBe(`A: pid ${starts.at(-1)!.child.pid} (restarted)`);
      supervisor.joined('A');
    }
    // A committed round forgives earlier crashes: the next pause is the first one again.
    supervisor.progressed();
    starts.at(-1)!.child.kill('SIGKILL');
    await starts.at(-1)!.exited;
    supervisor.check(now);
    expect(log.at(-1)).toMatch(/restarting it in 1 s$/);
  });

  it('fails the federation for a party that exits before it ever connected', async () => {
    const supervisor = new PartySupervisor(
      ['B'],
      (id) => node(id, 'process.exit(3)'),
      () => undefined,
    );
    supervisor.launch();
    await started[0]!.exited;
    let error: unknown;
    try {
      supervisor.check();
    } catch (e) {
      error = e;
    }
    expect(isFlotillaError(error, 'CLIENT_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(
      /^B \(pid \d+\) exited with 3 before it connected:\nB said goodbye$/,
    );
  });

  it(`gives up on a party after ${MAX_CRASHES_IN_A_ROW + 1} crashes in a row without a committed round`, async () => {
    const supervisor = new PartySupervisor(
      ['C'],
      (id) => node(id, 'process.exit(1)'),
      () => undefined,
    );
    supervisor.launch();
    let now = 0;
    let error: unknown;
    for (let crash = 1; crash <= MAX_CRASHES_IN_A_ROW + 1 && !error; crash++) {
      await started.at(-1)!.exited;
      supervisor.joined('C');
      try {
        supervisor.check(now);
      } catch (e) {
        error = e;
      }
      now += 60_000;
      if (!error) supervisor.check(now); // the restart
    }
    expect((error as Error).message).toMatch(
      /exited with 1, its 6th crash in a row without a round committed/,
    );
  });
});

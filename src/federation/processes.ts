/**
 * The OS processes of a local federation: `flotilla` subcommands started the way this process was started (the same
 * Node binary, loader flags and entry script: bin/flotilla.js when built, the TypeScript entry under a loader in
 * tests), each with its output kept for diagnostics. `stop` ends every process the group started: a polite signal,
 * then SIGKILL for any that has not exited after a grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface ManagedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Settles with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
  /** The last lines the process printed (stdout and stderr), for error messages. */
  tail(lines?: number): string;
}

/** The command line that runs `flotilla` as this process does. */
export function flotillaCommand(): { command: string; args: string[] } {
  const entry = process.argv[1];
  if (!entry) throw new Error('cannot tell how this process was started (no entry script)');
  return { command: process.execPath, args: [...process.execArgv, entry] };
}

const KEPT_LINES = 200;

export class ProcessGroup {
  private readonly processes: ManagedProcess[] = [];
  private readonly base = flotillaCommand();

  /** Starts `flotilla ARGS`; `onLine` sees every line it prints (stdout and stderr). */
  start(
    name: string,
    args: readonly string[],
    options: { env?: Record<string, string>; onLine?: (line: string) => void } = {},
  ): ManagedProcess {
    const child = spawn(this.base.command, [...this.base.args, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      // A failed spawn never exits; it counts as a failure to start.
      child.once('error', (error) => {
        lines.push(`cannot start: ${error.message}`);
        resolve(-1);
      });
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop()!;
        for (const line of parts) {
          lines.push(line);
          if (lines.length > KEPT_LINES) lines.shift();
          options.onLine?.(line);
        }
      });
    }
    const managed: ManagedProcess = {
      name,
      child,
      exited,
      tail: (n = 20) => lines.slice(-n).join('\n'),
    };
    this.processes.push(managed);
    return managed;
  }

  /** Stops every running process: `signal` first, SIGKILL after `graceMs`. Resolves when all have exited. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    const running = this.processes.filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of running) p.child.kill(signal);
    const timer = setTimeout(() => {
      for (const p of running)
        if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(running.map((p) => p.exited));
    clearTimeout(timer);
  }
}

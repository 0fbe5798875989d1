/**
 * Keeps a local federation's party processes running. A party that crashes after it had joined (killed, out of
 * memory, a machine hiccup) is started again after a pause that doubles with each crash in a row, and the server
 * waits for it (rounds wait for the clients they need). A party that exits before it ever connected has a problem a
 * restart cannot fix (unreadable data, a refused credential), and one that keeps crashing without the run making
 * progress would crash forever: both end the federation with the party's last output.
 */
import { FlotillaError } from '../core/index.js';
import type { ManagedProcess } from './processes.js';

/** Crashes in a row (no round committed in between) after which a party is given up on. */
export const MAX_CRASHES_IN_A_ROW = 5;
const FIRST_PAUSE_MS = 1000;
const LONGEST_PAUSE_MS = 30_000;

/** Why `proc` stopped, with the last lines it printed. */
export function exitFailure(proc: ManagedProcess, why = ''): FlotillaError {
  const code = proc.child.exitCode ?? proc.child.signalCode;
  return new FlotillaError(
    'CLIENT_FAILED',
    `${proc.name} (pid ${proc.child.pid}) exited with ${code}${why}:\n${proc.tail()}`,
  );
}

interface Party {
  readonly id: string;
  proc: ManagedProcess | undefined;
  /** Whether the server saw this process connect (since it was last started). */
  joined: boolean;
  crashes: number;
  restartAt: number | undefined;
}

export class PartySupervisor {
  private readonly parties = new Map<string, Party>();

  constructor(
    ids: readonly string[],
    private readonly start: (id: string) => ManagedProcess,
    private readonly log: (text: string) => void,
  ) {
    for (const id of ids) {
      this.parties.set(id, { id, proc: undefined, joined: false, crashes: 0, restartAt: undefined });
    }
  }

  /** Starts every party's process. */
  launch(): void {
    for (const party of this.parties.values()) {
      party.proc = this.start(party.id);
      this.log(`${party.id}: pid ${party.proc.child.pid}`);
    }
  }

  /** The server logged that party `id` connected. */
  joined(id: string): void {
    const party = this.parties.get(id);
    if (party) party.joined = true;
  }

  /** A round committed: the run makes progress, so earlier crashes no longer count against a party. */
  progressed(): void {
    for (const party of this.parties.values()) party.crashes = 0;
  }

  /** Restarts parties whose pause is over, schedules crashed ones; throws when one cannot be kept running. */
  check(now = Date.now()): void {
    for (const party of this.parties.values()) {
      if (!party.proc) continue;
      if (party.restartAt !== undefined) {
        if (now < party.restartAt) continue;
        party.restartAt = undefined;
        party.joined = false;
        party.proc = this.start(party.id);
        this.log(`${party.id}: pid ${party.proc.child.pid} (restarted)`);
        continue;
      }
      const proc = party.proc;
      const { child } = proc;
      if (child.exitCode === null && child.signalCode === null) continue;
      if (child.exitCode === 0) continue; // the run finished, or the party was stopped on purpose
      if (!party.joined) throw exitFailure(proc, ' before it connected');
      party.crashes++;
      if (party.crashes > MAX_CRASHES_IN_A_ROW) {
        throw exitFailure(proc, `, its ${party.crashes}th crash in a row without a round committed`);
      }
      const pauseMs = Math.min(LONGEST_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (party.crashes - 1));
      party.restartAt = now + pauseMs;
      this.log(
        `${party.id} (pid ${child.pid}) exited with ${child.exitCode ?? child.signalCode}; restarting it in ${pauseMs / 1000} s`,
      );
    }
  }
}

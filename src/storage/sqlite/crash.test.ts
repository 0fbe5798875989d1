/**
 * The durability promise, tested for real: a child process commits rounds through SqliteStorage in a loop and is
 * killed with SIGKILL at a random moment (often mid-transaction or mid-WAL-checkpoint). After each kill the file
 * must pass SQLite's integrity check, hold rounds 1..k with no gap, include every round the child reported as
 * committed, and resume: the next child continues at k+1.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteStorage } from './sqlite-storage.js';
import { modelForRound } from './test-support/model.js';

const WRITER = fileURLToPath(new URL('./test-support/crash-writer.ts', import.meta.url));
const SIZE = 200_000;
const KILLS = 5;

/** Starts a writer, waits until it reports a commit, lets it run a random while, then SIGKILLs it. */
async function runAndKill(path: string, delayMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, path, 'run', String(SIZE)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let lastReported = 0;
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': it comes after the pipes drained, so every line the writer printed has been read.
  const closed = new Promise<NodeJS.Signals | null>((resolve) =>
    child.on('close', (_code, signal) => resolve(signal)),
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const rounds = [...output.matchAll(/committed (\d+)\n/g)];
      if (rounds.length === 0) return;
      lastReported = Number(rounds[rounds.length - 1]![1]);
      resolve();
    });
    child.on('exit', () => reject(new Error(`writer exited before committing: ${stderr}`)));
  });
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  expect(await closed).toBe('SIGKILL');
  return lastReported;
}

describe('SqliteStorage survives kill -9', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'flotilla-crash-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every reported commit, without gaps, and resumes after each kill', async () => {
    const path = join(dir, 'server.db');
    let previous = 0;
    for (let kill = 1; kill <= KILLS; kill++) {
      const delayMs = Math.floor(Math.random() * 300);
      const context = `kill ${kill} after ${delayMs} ms`;
      const reported = await runAndKill(path, delayMs);

      // Integrity first, on a plain connection (this also recovers the WAL left behind).
      const raw = new Database(path);
      expect(raw.pragma('integrity_check', { simple: true }), context).toBe('ok');
      expect(raw.pragma('foreign_key_check'), context).toEqual([]);
      raw.close();

      const storage = SqliteStorage.open(path);
      const rounds = (await storage.rounds('run')).map((r) => r.round);
      const k = rounds.length;
      expect(rounds, context).toEqual(Array.from({ length: k }, (_, i) => i + 1));
      // Every commit the writer saw return is durable; at most one more (killed before it could print) exists.
      expect(k, context).toBeGreaterThanOrEqual(reported);
      expect(k, context).toBeLessThanOrEqual(reported + 1);
      // Each writer resumed where the previous one stopped.
      expect(k, context).toBeGreaterThan(previous);
      previous = k;

      const latest = (await storage.latestCheckpoint('run'))!;
      expect(latest.round, context).toBe(k);
      expect(
        Buffer.from(latest.params.data.buffer).equals(Buffer.from(modelForRound(k, SIZE).data.buffer)),
      ).toBe(true);
      const m = latest.strategyState.tensors.m!;
      expect(Buffer.from(m.data.buffer).equals(Buffer.from(modelForRound(-k, SIZE).data.buffer))).toBe(true);
      expect(latest.privacyLedger).toEqual({ spentRounds: k });
      expect(await storage.checkpointRounds('run'), context).toEqual([k - 2, k - 1, k].filter((r) => r >= 1));
      await storage.close();
    }

    // The server restarted in-process continues at k+1.
    const storage = SqliteStorage.open(path);
    await storage.commitRound('run', {
      record: { round: previous + 1 },
      params: modelForRound(previous + 1, SIZE),
      strategyState: { json: null, tensors: {} },
    });
    expect((await storage.getRun('run'))!.lastRound).toBe(previous + 1);
    await storage.close();
  });
});

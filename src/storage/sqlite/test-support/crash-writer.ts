/**
 * Child process for the crash test: opens the real SqliteStorage, resumes the run after its last committed round
 * (creating it on first use) and commits rounds as fast as it can, printing "committed <round>" after each commit
 * returns. The parent kills it with SIGKILL at a random moment and checks what survived.
 *
 * Usage: node --import tsx crash-writer.ts <db path> <run id> <parameters per model>
 */
import { SqliteStorage } from '../sqlite-storage.js';
import { modelForRound } from './model.js';

const [path, runId, sizeArg] = process.argv.slice(2);
if (!path || !runId || !sizeArg) throw new Error('usage: crash-writer.ts <db path> <run id> <size>');
const size = Number(sizeArg);

const storage = SqliteStorage.open(path);
const run =
  (await storage.getRun(runId)) ??
  (await storage.createRun({
    runId,
    name: 'crash test',
    strategy: 'fedadam',
    config: { size },
    initialParams: modelForRound(0, size),
    keepCheckpoints: 3,
  }));
for (let round = run.lastRound + 1; ; round++) {
  const record = { round, participants: ['a', 'b', 'c'] };
  await storage.commitRound(runId, {
    record,
    params: modelForRound(round, size),
    strategyState: { json: { step: round }, tensors: { m: modelForRound(-round, size) } },
    privacyLedger: { spentRounds: round },
  });
  process.stdout.write(`committed ${round}\n`);
}

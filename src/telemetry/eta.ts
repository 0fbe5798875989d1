/**
 * Remaining time of a run from its pace so far, for every long command's progress (rounds of a simulation, a
 * server or a federation, epochs of train-central): elapsed / steps done x steps left. Unknown (NaN) before the
 * first step; formatDuration prints that as "?".
 */
export function remainingMs(elapsedMs: number, done: number, left: number): number {
  if (left <= 0) return 0;
  return done > 0 ? (elapsedMs / done) * left : NaN;
}

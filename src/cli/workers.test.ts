import { describe, expect, it } from 'vitest';
import { workerCount } from './workers.js';

describe('workerCount', () => {
  it('uses the request when the clients and cores allow it', () => {
    expect(workerCount(2, 10, 8)).toEqual({ workers: 2 });
  });

  it('caps at the clients and at the cores, and says which', () => {
    expect(workerCount(64, 3, 8)).toEqual({
      workers: 3,
      notice: 'using 3 worker threads, not 64: the run has 3 clients and this machine has 8 cores',
    });
    expect(workerCount(4, 10, 2)).toEqual({
      workers: 2,
      notice: 'using 2 worker threads, not 4: this machine has 2 cores',
    });
    expect(workerCount(2, 1, 1).notice).toBe(
      'using 1 worker thread, not 2: the run has 1 client and this machine has 1 core',
    );
  });
});

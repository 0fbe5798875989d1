import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two test files at a time on the 2-core reference machine (vitest's default leaves one core idle): the end-to-end
    // files spend much of their time waiting on child processes, TLS handshakes and rounds.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
  },
});

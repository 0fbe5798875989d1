/// <reference types="@vitest/browser/providers/playwright" />
import { defineConfig } from 'vitest/config';

/**
 * Tests under the isomorphic folders that are not isomorphic, kept out of the "browser" project (they still run in
 * the "node" project). Each entry says why.
 */
const NODE_ONLY = [
  // client/node is the Node platform implementation (files, sockets): its tests use node:fs by nature.
  'src/client/node/**',
];

/** Tests of browser platform code that Node lacks (IndexedDB): they run in the "browser" project only. */
const BROWSER_ONLY = ['src/client/web/**'];

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The node project's pool (the browser project runs its files in Chromium instead). Two test files at a time on
    // the 2-core reference machine (vitest's default leaves one core idle): the end-to-end files spend much of their
    // time waiting on child processes, TLS handshakes and rounds. Vitest takes the worker count from the root only.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: BROWSER_ONLY,
        },
      },
      {
        // The isomorphic folders' own unit tests again, in headless Chromium (DESIGN principle 3): the same code must
        // pass the same tests on the browser's WebCrypto, typed arrays and timers as on Node's.
        extends: true,
        test: {
          name: 'browser',
          include: [
            'src/core/**/*.test.ts',
            'src/protocol/**/*.test.ts',
            'src/strategy/**/*.test.ts',
            'src/privacy/**/*.test.ts',
            'src/compression/**/*.test.ts',
            'src/client/**/*.test.ts',
          ],
          exclude: NODE_ONLY,
          // After the node project, not beside it: Chromium next to two forks would overload a 2-core machine and
          // stretch the end-to-end tests' rounds.
          sequence: { groupOrder: 1 },
          browser: {
            enabled: true,
            provider: 'playwright',
            headless: true,
            screenshotFailures: false,
            instances: [
              {
                browser: 'chromium',
                launch: {
                  executablePath: '/usr/bin/chromium',
                  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
                },
              },
            ],
          },
        },
      },
    ],
  },
});

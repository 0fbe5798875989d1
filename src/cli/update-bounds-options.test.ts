import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { readServerOptions, serverConfigFromOptions } from './commands/server.js';
import { readRunOptions } from './commands/simulate.js';
import { resolveRunConfig } from './run-config.js';

const BOUNDS = [
  '--max-examples-per-client',
  '5000',
  '--max-update-norm',
  '25',
  '--update-norm-action',
  'clip',
];
const SET = { maxExamplesPerClient: 5000, maxUpdateNorm: 25, updateNormAction: 'clip' };

const simulateEngine = (flags: string[]) => resolveRunConfig(readRunOptions(flags, 'simulate')).engine;
const serverEngine = (flags: string[]) =>
  serverConfigFromOptions(readServerOptions(['--insecure', '--input-size', '21', ...flags])).engine;

describe('update-bound settings', () => {
  it('reach the engine config from simulate and server flags, and are absent (engine defaults) otherwise', () => {
    expect(simulateEngine(BOUNDS)).toMatchObject(SET);
    expect(serverEngine(BOUNDS)).toMatchObject(SET);
    for (const engine of [simulateEngine([]), serverEngine([])]) {
      expect(engine).not.toHaveProperty('maxExamplesPerClient');
      expect(engine).not.toHaveProperty('maxUpdateNorm');
      expect(engine).not.toHaveProperty('updateNormAction');
    }
  });

  it('refuses out-of-range values naming the key', () => {
    for (const flags of [
      ['--max-update-norm', '0'],
      ['--max-examples-per-client', '0'],
      ['--update-norm-action', 'drop'],
    ]) {
      let error: unknown;
      try {
        simulateEngine(flags);
      } catch (e) {
        error = e;
      }
      expect(isFlotillaError(error, 'CONFIG_INVALID'), flags.join(' ')).toBe(true);
      expect((error as Error).message).toContain(`option ${flags[0]}:`);
    }
  });
});

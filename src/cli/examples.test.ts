/**
 * Every example config is a combination the engine accepts: resolving it runs the same assumption checks as the
 * engine (engine/assumptions.ts), in simulate and, for tabular data, in a federation (whose server has no root data).
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readRunOptions } from './commands/simulate.js';
import { resolveRunConfig } from './run-config.js';

const examples = new URL('../../examples/', import.meta.url);

describe('example configs', () => {
  const names = readdirSync(examples);
  it.each(names)('%s/config.yaml resolves to a run the engine accepts', (name) => {
    const path = new URL(`${name}/config.yaml`, examples).pathname;
    const options = readRunOptions([path], 'simulate');
    expect(resolveRunConfig(options).strategy.name).toBeTruthy();
    if (options.dataset !== 'mnist') resolveRunConfig(options, { serverFit: false });
  });

  it('include the Adam-trained hospitals run, with a strategy that does not assume SGD steps', () => {
    const path = new URL('hospitals/config.yaml', examples).pathname;
    const config = resolveRunConfig(readRunOptions([path], 'simulate'));
    expect(config.engine.optimizer).toBe('adam');
    expect(config.strategy.requires?.localSgd).toBeUndefined();
  });
});

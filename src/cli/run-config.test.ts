import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../core/index.js';
import { readServerOptions, serverConfigFromOptions } from './commands/server.js';
import { readRunOptions } from './commands/simulate.js';
import { minResultsOf, resolveRunConfig } from './run-config.js';
import { serverModelInput } from './server-input.js';

const HOSPITALS = new URL('../../examples/hospitals/config.yaml', import.meta.url).pathname;

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (isFlotillaError(error, 'CONFIG_INVALID')) return error.message;
    throw error;
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('run settings mean the same in every command', () => {
  it('reads minResults up to 1 as a fraction of the selected clients (1: all of them), above 1 as a count', () => {
    expect(minResultsOf(undefined)).toEqual({ fraction: 1 });
    expect(minResultsOf(0.5)).toEqual({ fraction: 0.5 });
    expect(minResultsOf(1)).toEqual({ fraction: 1 });
    expect(minResultsOf(3)).toEqual({ count: 3 });
    expect(configError(() => readRunOptions(['--min-results', '2.5'], 'simulate'))).toMatch(
      /"minResults" must be a fraction in \(0, 1\] or a whole count >= 2, got 2.5/,
    );
  });

  it('gives a server the engine config the simulation of the same file runs', () => {
    const simulated = resolveRunConfig(
      readRunOptions([HOSPITALS, '--min-results', '0.5'], 'simulate'),
    ).engine;
    const served = serverConfigFromOptions(
      readServerOptions(['--config', HOSPITALS, '--insecure', '--min-results', '0.5']),
    ).engine;
    expect(served).toEqual(simulated);
    expect(served).toMatchObject({
      fitDeadlineMs: 600_000,
      localEpochs: 1,
      fractionFit: 1,
      evaluateEvery: 1,
    });
  });

  it('refuses the old server-only names, pointing at the shared ones, and fractional epochs everywhere', () => {
    expect(configError(() => readServerOptions(['--fraction-fit', '0.5']))).toBe(
      'unknown option --fraction-fit (did you mean "--fraction"?)',
    );
    expect(configError(() => readServerOptions(['--fit-deadline-ms', '100']))).toMatch(
      /^unknown option --fit-deadline-ms/,
    );
    expect(configError(() => readRunOptions(['--local-epochs', '1.5'], 'simulate'))).toBe(
      'option --local-epochs: "localEpochs" must be an integer, got 1.5',
    );
  });
});

describe("a server's model input from a run config", () => {
  const input = (args: string[]) => serverModelInput(readServerOptions(['--insecure', ...args]).settings);

  it('takes it from the dataset when inputSize is not set, and refuses when nothing fixes it', () => {
    expect(input(['--dataset', 'stroke'])).toEqual({ inputShape: [21], numClasses: 2 });
    expect(input(['--dataset', 'mnist'])).toEqual({ inputShape: [28, 28, 1], numClasses: 10 });
    expect(input(['--dataset', 'mnist', '--input-size', '784'])).toEqual({
      inputShape: [784],
      numClasses: 10,
    });
    expect(configError(() => input([]))).toMatch(/server needs "inputSize"/);
  });

  it('counts the encoded columns of a csv schema, unless a category list is learned from the data', () => {
    const dir = mkdtempSync(join(tmpdir(), 'flotilla-schema-'));
    const declared = join(dir, 'declared.yaml');
    writeFileSync(
      declared,
      [
        'label: y',
        'classes: [no, yes, maybe]',
        'columns:',
        '  - { name: a, kind: numeric }',
        '  - { name: b, kind: categorical, categories: [u, v] }',
        '  - { name: c, kind: categorical, categories: [p, q, r], missing: mode }',
        '  - { name: id, kind: ignore }',
      ].join('\n'),
    );
    // a, b=u, b=v, b=<missing>, c=p, c=q, c=r
    expect(input(['--dataset', 'csv', '--schema', declared])).toEqual({ inputShape: [7], numClasses: 3 });
    const learned = join(dir, 'learned.yaml');
    writeFileSync(learned, 'label: y\ncolumns:\n  - { name: b, kind: categorical }\n');
    expect(configError(() => input(['--dataset', 'csv', '--schema', learned]))).toMatch(/set "inputSize"/);
  });
});

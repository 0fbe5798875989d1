/** The README is the front door: its option tables must be exactly what the CLI accepts (run `npm run docs`). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderReadmeTables } from '../src/cli/docs.js';

describe('README', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

  it('documents every option of every command, as generated from the option tables', () => {
    expect(renderReadmeTables(readme)).toBe(readme);
  });

  it('gives the quick start as exactly two commands', () => {
    const quickStart = readme.split('## Quick start')[1]!.split('```')[1]!;
    expect(quickStart.trim().split('\n').slice(1)).toEqual(['npm install && npm start', 'npm test']);
  });
});

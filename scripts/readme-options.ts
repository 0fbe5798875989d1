/**
 * Rewrites the generated option tables in README.md from the CLI's option tables (`npm run docs`).
 * Each table sits between `<!-- options:NAME -->` and `<!-- /options:NAME -->` markers.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { README_TABLES, renderReadmeTables } from '../src/cli/docs.js';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = renderReadmeTables(before);
if (after !== before) writeFileSync(path, after);
process.stdout.write(
  `README.md: ${Object.keys(README_TABLES).length} option tables ${after === before ? 'already current' : 'updated'}\n`,
);

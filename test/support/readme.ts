/**
 * Reads examples out of the README, so tests run what the README shows and cannot drift from it: the `flotilla`
 * command lines of its sh blocks (with the result each one states) and the column schema example.
 */
import { readFileSync } from 'node:fs';

export const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/**
 * The result a README example states in a trailing comment: `# ... => AUC 0.846` or `=> AUC 0.78-0.86` (`noise`:
 * the noise multiplier `privacy noise` answers).
 */
export interface StatedResult {
  readonly metric: 'AUC' | 'accuracy' | 'epsilon' | 'noise';
  readonly low: number;
  readonly high: number;
  /** A single value (checked within a tolerance) rather than a range. */
  readonly exact: boolean;
}

export interface ReadmeExample {
  /** The command line as the README shows it (continuation lines joined, comment dropped). */
  readonly line: string;
  /** The arguments after `flotilla` (or `node bin/flotilla.js`). */
  readonly args: readonly string[];
  readonly stated?: StatedResult;
}

const COMMAND = /^(?:[A-Z_]+=\S+\s+)*(?:flotilla|node bin\/flotilla\.js)\s+([^#]*?)\s*&?\s*(?:#(.*))?$/;
const STATED = /=>\s*(AUC|accuracy|epsilon|noise)\s+(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?\s*$/;

/** Every `flotilla` command line of the README's sh blocks, in order. */
export function readmeExamples(readme = README): ReadmeExample[] {
  const examples: ReadmeExample[] = [];
  for (const [, block] of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block!.replace(/\\\n\s*/g, ' ').split('\n')) {
      const match = COMMAND.exec(raw.trim());
      if (!match) continue;
      const args = match[1]!.split(/\s+/).filter((a) => a !== '');
      const comment = match[2] ?? '';
      const stated = STATED.exec(comment);
      examples.push({
        line: `flotilla ${args.join(' ')}`,
        args,
        ...(stated
          ? {
              stated: {
                metric: stated[1] as StatedResult['metric'],
                low: Number(stated[2]),
                high: Number(stated[3] ?? stated[2]),
                exact: stated[3] === undefined,
              },
            }
          : {}),
      });
    }
  }
  return examples;
}

/** The yaml example of the README's column schema section. */
export function documentedTabularSchema(readme = README): string {
  const section = readme.split('### Tabular data: the column schema')[1]?.split('\n### ')[0] ?? '';
  const block = /```yaml\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README: the column schema section has no yaml example');
  return block[1]!;
}

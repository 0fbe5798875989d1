/**
 * Projects made by `flotilla new`, run as a user runs them (`npm start` in a child process) without the network:
 * instead of `npm install`, each dependency the project's package.json declares is linked into its node_modules
 * (flotilla itself to this repository, the others to this repository's copies, so a project that imports a package
 * it does not declare fails here as it would for a user), and flotilla's binary is linked into node_modules/.bin.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';

export const REPO = new URL('../..', import.meta.url).pathname;
export const BIN = join(REPO, 'bin/flotilla.js');

export interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end; a non-zero exit is an outcome, not an exception. */
export function runProgram(file: string, args: readonly string[], cwd: string): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { cwd, maxBuffer: 64 << 20, env: { ...process.env, npm_config_update_notifier: 'false' } },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `flotilla ...` from the built dist/ (run `npx tsc -p tsconfig.build.json` first). */
export function flotillaBuilt(args: readonly string[], cwd: string): Promise<Outcome> {
  return runProgram(process.execPath, [BIN, ...args], cwd);
}

function link(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path, 'dir');
}

/** Stands in for `npm install`: links every declared dependency, then flotilla's binary. */
export function linkDependencies(project: string): void {
  const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of Object.keys(pkg.dependencies ?? {})) {
    const target = name === 'flotilla' ? REPO : join(REPO, 'node_modules', name);
    if (!existsSync(target)) throw new Error(`dependency ${name} is not installed in ${REPO}`);
    link(target, join(project, 'node_modules', name));
  }
  mkdirSync(join(project, 'node_modules/.bin'), { recursive: true });
  symlinkSync(join(REPO, 'bin/flotilla.js'), join(project, 'node_modules/.bin/flotilla'));
}

/**
 * Writes a new Flotilla project from one of the templates under templates/<name>/ (shipped in the npm package):
 * every file is copied with its `{{placeholders}}` filled in (the project name, the versions to depend on), and
 * files that are generated rather than shipped (the tabular template's sample CSV) are written next to them.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FlotillaError } from '../../core/index.js';
import { packageNameProblem, projectFolderName } from './package-name.js';
import { sampleCustomersCsv } from './sample-customers.js';

export const TEMPLATE_NAMES = ['tabular', 'image', 'custom-trainer'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/** Seed of the sample data, fixed so every new project (and its README's numbers) starts from the same table. */
const SAMPLE_SEED = 7;

/** Files a template gets that are generated when the project is created, by path inside the project. */
const GENERATED: Partial<Record<TemplateName, Record<string, () => string>>> = {
  tabular: { 'data/customers.csv': () => sampleCustomersCsv(SAMPLE_SEED) },
};

/** npm drops files named .gitignore from packages, so templates ship them without the dot. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

export interface NewProjectOptions {
  readonly name: string;
  readonly template: TemplateName;
  /** The folder the project folder is created in. */
  readonly parent: string;
}

export interface NewProject {
  readonly dir: string;
  /** Paths of the written files, relative to `dir`, sorted. */
  readonly files: readonly string[];
}

interface OwnPackage {
  readonly root: string;
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
}

/** This package's folder (the one holding package.json and templates/), from src/cli/new or dist/src/cli/new. */
function ownPackage(): OwnPackage {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as Partial<OwnPackage> & { name?: string };
      if (pkg.name === 'flotilla') {
        return { root: dir, version: pkg.version ?? '0.0.0', dependencies: pkg.dependencies ?? {} };
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the flotilla package.json above ' + import.meta.url);
    dir = parent;
  }
}

function checkTarget(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) {
    throw new FlotillaError('INVALID_ARGUMENT', `${dir} already exists and is not a folder`);
  }
  if (readdirSync(dir).length > 0) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `${dir} already exists and is not empty; choose another NAME or --dir`,
    );
  }
}

/** Every file under `dir`, as paths relative to it. */
function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? listFiles(path, base) : [relative(base, path)];
  });
}

/** Fills `{{key}}` placeholders; an unknown key is a bug in the template, not the user's. */
function fill(text: string, values: Readonly<Record<string, string>>, file: string): string {
  return text.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template file ${file} has an unknown placeholder {{${key}}}`);
    return value;
  });
}

function targetPath(file: string): string {
  const parts = file.split(/[\\/]/);
  const last = parts.pop()!;
  return join(...parts, RENAMED[last] ?? last);
}

export function createProject(options: NewProjectOptions): NewProject {
  const problem = packageNameProblem(options.name);
  if (problem) {
    throw new FlotillaError(
      'INVALID_ARGUMENT',
      `"${options.name}" is not a valid npm package name: ${problem}`,
    );
  }
  const dir = resolve(options.parent, projectFolderName(options.name));
  checkTarget(dir);
  const own = ownPackage();
  const source = join(own.root, 'templates', options.template);
  const values = {
    name: options.name,
    flotillaVersion: own.version,
    tfjsVersion: own.dependencies['@tensorflow/tfjs'] ?? '*',
  };
  const written: string[] = [];
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
    written.push(path);
  };
  for (const file of listFiles(source)) {
    write(targetPath(file), fill(readFileSync(join(source, file), 'utf8'), values, file));
  }
  for (const [path, generate] of Object.entries(GENERATED[options.template] ?? {})) write(path, generate());
  return { dir, files: written.sort() };
}

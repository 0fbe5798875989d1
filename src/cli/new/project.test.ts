import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFlotillaError } from '../../core/index.js';
import { version } from '../version.js';
import { createProject, TEMPLATE_NAMES } from './project.js';

const parent = () => mkdtempSync(join(tmpdir(), 'flotilla-project-'));

describe('createProject', () => {
  it('writes every template with the name and versions filled in and .gitignore restored', () => {
    const where = parent();
    for (const template of TEMPLATE_NAMES) {
      const project = createProject({ name: `@lab/${template}-study`, template, parent: where });
      expect(project.dir).toBe(join(where, `${template}-study`));
      expect(project.files).toEqual(expect.arrayContaining(['.gitignore', 'README.md', 'flotilla.yaml']));
      expect(project.files).not.toContain('gitignore');
      const pkg = JSON.parse(readFileSync(join(project.dir, 'package.json'), 'utf8')) as {
        name: string;
        dependencies: Record<string, string>;
      };
      expect(pkg.name).toBe(`@lab/${template}-study`);
      expect(pkg.dependencies['flotilla']).toBe(`^${version()}`);
      for (const file of project.files) {
        expect(readFileSync(join(project.dir, file), 'utf8'), file).not.toContain('{{');
      }
    }
  });

  it('fills an existing empty folder, and the tabular sample data is the same every time', () => {
    const where = parent();
    mkdirSync(join(where, 'one'));
    const one = createProject({ name: 'one', template: 'tabular', parent: where });
    const two = createProject({ name: 'two', template: 'tabular', parent: where });
    const csv = (dir: string) => readFileSync(join(dir, 'data/customers.csv'), 'utf8');
    expect(csv(one.dir)).toBe(csv(two.dir));
    expect(csv(one.dir).split('\n')).toHaveLength(2402); // header, 2,400 customers, final newline
  });

  it('refuses a bad name and a file in the way with INVALID_ARGUMENT, writing nothing', () => {
    const where = parent();
    const refusal = (name: string) => {
      try {
        createProject({ name, template: 'image', parent: where });
      } catch (error) {
        return isFlotillaError(error, 'INVALID_ARGUMENT') ? error.message : String(error);
      }
      return 'created';
    };
    expect(refusal('Bad Name')).toMatch(/^"Bad Name" is not a valid npm package name: /);
    createProject({ name: 'taken', template: 'image', parent: where });
    expect(refusal('taken')).toMatch(/taken already exists and is not empty/);
    expect(refusal('taken/package.json')).toMatch(/not a valid npm package name/);
    writeFileSync(join(where, 'plain'), 'a file\n');
    expect(refusal('plain')).toMatch(/plain already exists and is not a folder/);
  });
});

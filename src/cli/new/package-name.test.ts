import { describe, expect, it } from 'vitest';
import { packageNameProblem, projectFolderName } from './package-name.js';

describe('npm package names', () => {
  it('accepts what npm accepts for a new package', () => {
    for (const name of ['my-study', 'churn.v2', 'a', 'x_y', '@lab/hospital-study', 'a'.repeat(214)]) {
      expect(packageNameProblem(name), name).toBeUndefined();
    }
  });

  it('names what is wrong with a name npm refuses', () => {
    const cases: [string, RegExp][] = [
      ['', /empty/],
      ['a'.repeat(215), /longer than 214/],
      ['MyStudy', /upper-case/],
      ['my study', /URL-safe/],
      ['a/b', /URL-safe/],
      ['.hidden', /starts with/],
      ['_private', /starts with/],
      ['wow!', /~'!\(\)\*/],
      ['node_modules', /reserved/],
      ['http', /built-in module/],
      ['@lab', /scoped name is @scope\/name/],
      ['@lab/', /empty part/],
      ['@lab/.x', /starts with/],
      ['@a/b/c', /scoped name/],
    ];
    for (const [name, why] of cases) expect(packageNameProblem(name), name).toMatch(why);
  });

  it('creates a scoped project in a folder named without its scope', () => {
    expect(projectFolderName('@lab/study')).toBe('study');
    expect(projectFolderName('study')).toBe('study');
  });
});

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readSecret, type SecretSources } from './secret.js';

const dir = mkdtempSync(join(tmpdir(), 'flotilla-secret-'));
const ENV = 'FLOTILLA_TEST_SECRET';
afterEach(() => {
  delete process.env[ENV];
});

function sources(over: Partial<SecretSources>, warnings: string[] = []): SecretSources {
  return {
    flag: '--token',
    fromFlag: undefined,
    fileFlag: '--token-file',
    file: undefined,
    env: ENV,
    warn: (line) => warnings.push(line),
    ...over,
  };
}

describe('readSecret', () => {
  it("reads the file's first line, else the environment, else nothing", () => {
    const file = join(dir, 'token');
    writeFileSync(file, 'flc_from_file\n');
    process.env[ENV] = 'flc_from_env';
    expect(readSecret(sources({ file }))).toBe('flc_from_file');
    expect(readSecret(sources({}))).toBe('flc_from_env');
    delete process.env[ENV];
    expect(readSecret(sources({}))).toBeUndefined();
  });

  it('takes a flag with a warning that the process listing shows it', () => {
    const warnings: string[] = [];
    expect(readSecret(sources({ fromFlag: 'flc_flag' }, warnings))).toBe('flc_flag');
    expect(warnings).toEqual([
      `warning: --token on the command line is visible to every user of this machine (ps); use ${ENV} or --token-file`,
    ]);
  });

  it('refuses a missing or empty file, and a flag with a file', () => {
    expect(() => readSecret(sources({ file: join(dir, 'nope') }))).toThrow(
      `cannot read --token-file ${join(dir, 'nope')}: no such file`,
    );
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    expect(() => readSecret(sources({ file: empty }))).toThrow(`--token-file ${empty} is empty`);
    expect(() => readSecret(sources({ file: empty, fromFlag: 'x' }))).toThrow(
      'give --token or --token-file, not both',
    );
  });
});

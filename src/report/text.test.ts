import { describe, expect, it } from 'vitest';
import { FINDINGS } from './testdata/findings.js';
import { expectGolden } from './testdata/golden.js';
import { formatLintText, formatLocation, shortDigest } from './text.js';

describe('formatLintText', () => {
  it('matches the golden file: one location line per finding, then its fix hint', () => {
    expectGolden('lint.golden.txt', formatLintText(FINDINGS));
  });

  it('is empty when there are no findings', () => {
    expect(formatLintText([])).toBe('');
  });

  it('keeps the file:line:col severity id message form, with the hint indented below', () => {
    const [first] = FINDINGS;
    if (first === undefined) throw new Error('fixture');
    expect(formatLintText([first])).toBe(
      'Dockerfile:1:1 medium PC-DF-001 stage 0 base image ubuntu:latest uses latest\n' +
        '    fix: Name a specific version tag (and ideally a digest) in FROM.\n',
    );
  });
});

describe('formatLocation', () => {
  const digest = `sha256:${'ab'.repeat(32)}`;
  it.each([
    [{ path: 'Dockerfile', line: 3, column: 5 }, 'Dockerfile:3:5'],
    [{ path: 'nginx:1.25', line: 0, column: 0 }, 'nginx:1.25'],
    [
      { path: 'nginx:1.25', line: 0, column: 0, layer: { index: 4, digest } },
      'nginx:1.25 layer 4 sha256:abababababab',
    ],
    [
      { path: 'Dockerfile', line: 7, column: 1, layer: { index: 0, digest } },
      'Dockerfile:7:1 layer 0 sha256:abababababab',
    ],
  ])('%j → %s', (f, expected) => {
    expect(formatLocation(f)).toBe(expected);
  });
});

describe('shortDigest', () => {
  it.each([
    [`sha256:${'0123456789'.repeat(6)}abcd`, 'sha256:012345678901'],
    [`sha512:${'f'.repeat(128)}`, 'sha512:ffffffffffff'],
    ['abcdef0123456789', 'abcdef012345'],
  ])('%s → %s', (digest, expected) => {
    expect(shortDigest(digest)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { checkVectors } from '../testing/version-vectors.js';
import { nuget } from './nuget.js';
import { VersionError } from './scheme.js';

function expectAscending(sorted: readonly string[]): void {
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i] ?? '';
    const b = sorted[i + 1] ?? '';
    expect(nuget.compare(a, b), `${a} < ${b}`).toBe(-1);
    expect(nuget.compare(b, a), `${b} > ${a}`).toBe(1);
  }
}

describe('nuget versions: order (NuGet package versioning)', () => {
  it.each([
    [
      [
        '1.0.0-alpha',
        '1.0.0-alpha.1',
        '1.0.0-alpha.beta',
        '1.0.0-beta',
        '1.0.0-beta.2',
        '1.0.0-beta.11',
        '1.0.0-rc.1',
        '1.0.0',
      ],
    ],
    // The legacy fourth number (Revision) orders after Patch; a pre-release of 1.0.0.1 is above 1.0.0.
    [['1.0.0-pre', '1.0.0', '1.0.0.1-alpha', '1.0.0.1', '1.0.1']],
    // Numeric labels by value, below alphanumeric ones.
    [['1.0.0-2', '1.0.0-10', '1.0.0-a', '1.0.0-b']],
    [['0.9.9.1', '1', '1.1', '1.1.1', '1.1.1.1']],
  ])('sorts %j', (sorted) => {
    expectAscending(sorted);
  });

  it.each([
    ['1.0', '1.0.0.0', 'missing numbers are 0'],
    ['1', '1.0.0', 'even the minor'],
    ['1.01', '1.1', 'leading zeros do not count, as NuGet normalizes'],
    ['1.0.0-BETA', '1.0.0-beta', 'labels compare without case'],
    ['1.0.0+abc', '1.0.0+def', 'build metadata is ignored'],
  ])('%s = %s (%s)', (a, b) => {
    expect(nuget.compare(a, b)).toBe(0);
  });
});

describe('nuget versions: what is not a version', () => {
  it.each([
    ['', 'empty'],
    ['1.0.0.0.0', 'five numbers'],
    ['v1.0.0', 'a v prefix'],
    ['1.0.0-', 'empty label'],
    ['1.0.0-a..b', 'empty label between dots'],
    ['1.0.0-01', 'leading zero in a numeric label'],
    ['1.0.0+', 'empty metadata'],
    ['1.0.0-a_b', 'underscore'],
    ['2147483648.0.0', 'a number above Int32 (System.Version refuses it)'],
    [' 1.0.0', 'whitespace (NuGet trims; we refuse)'],
    [`1.0.0-${'a'.repeat(260)}`, 'longer than 256 characters'],
  ])('refuses %j (%s)', (input) => {
    expect(nuget.isValid(input)).toBe(false);
    expect(() => nuget.compare(input, '1.0.0')).toThrow(VersionError);
    expect(() => nuget.compare('1.0.0', input)).toThrow(/invalid nuget version/);
  });
});

describe('nuget versions: osv-scalibr vectors', () => {
  it('agrees with nuget-versions.txt except on numbers System.Version cannot hold', () => {
    const tooBig = 'each NuGet version number is a System.Version Int32 component, at most 2147483647';
    const result = checkVectors(
      nuget,
      'osv-scalibr/nuget-versions.txt',
      {
        '999999999999999999999999999991': tooBig,
        '999999999999999999999999999999': tooBig,
        '999999999999999999999999999991.999999999999999999999999999991.999999999999999999999999999991':
          tooBig,
        '999999999999999999999999999999.999999999999999999999999999991.999999999999999999999999999991':
          tooBig,
      },
      {},
    );
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ vectors: 35, agreed: 33, refused: 2, disagreed: 0 });
  });
});

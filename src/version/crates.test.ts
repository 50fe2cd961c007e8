import { describe, expect, it } from 'vitest';
import { crates } from './crates.js';
import { VersionError } from './scheme.js';

describe('crates versions: order (Cargo, semver.org 2.0.0 precedence)', () => {
  it.each([
    // semver.org §11.4's own example.
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
    [['0.1.0', '0.1.1', '0.2.0', '0.10.0', '1.0.0']],
    [['1.0.0-9', '1.0.0-10', '1.0.0-A', '1.0.0-a', '1.0.0-a.1']],
    [['18446744073709551614.0.0', '18446744073709551615.0.0']],
    // Numeric pre-release identifiers compare by value at any length.
    [[`1.0.0-${'9'.repeat(25)}`, `1.0.0-1${'0'.repeat(25)}`]],
  ])('sorts %j', (sorted) => {
    for (let i = 0; i + 1 < sorted.length; i++) {
      const a = sorted[i] ?? '';
      const b = sorted[i + 1] ?? '';
      expect(crates.compare(a, b), `${a} < ${b}`).toBe(-1);
      expect(crates.compare(b, a), `${b} > ${a}`).toBe(1);
    }
  });

  it.each([
    ['1.0.0+build.1', '1.0.0+build.2'],
    ['1.0.0-rc.1+x', '1.0.0-rc.1'],
  ])('ignores build metadata: %s = %s', (a, b) => {
    expect(crates.compare(a, b)).toBe(0);
  });
});

describe('crates versions: what is not a version', () => {
  it.each([
    ['', 'empty'],
    ['v1.0.0', 'a v prefix (Cargo takes none)'],
    ['=1.0.0', 'an = prefix (a requirement, not a version)'],
    ['1.0', 'PATCH missing'],
    ['1.0.0.0', 'a fourth number'],
    ['01.0.0', 'leading zero'],
    ['1.0.0-01', 'leading zero in a numeric pre-release identifier'],
    ['1.0.0-', 'empty pre-release'],
    ['1.0.0+', 'empty build'],
    ['1.0.0-a+b+c', 'a second +'],
    ['18446744073709551616.0.0', 'MAJOR above u64'],
    [' 1.0.0', 'whitespace'],
    [`1.0.0-${'a'.repeat(251)}`, 'longer than 256 characters'],
  ])('refuses %j (%s)', (input) => {
    expect(crates.isValid(input)).toBe(false);
    expect(() => crates.compare(input, '1.0.0')).toThrow(VersionError);
    expect(() => crates.compare('1.0.0', input)).toThrow(/invalid crates version/);
  });
});

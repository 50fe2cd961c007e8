import { describe, expect, it } from 'vitest';
import { checkVectors } from '../testing/version-vectors.js';
import { rubygems } from './rubygems.js';
import { VersionError } from './scheme.js';

function expectAscending(sorted: readonly string[]): void {
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i] ?? '';
    const b = sorted[i + 1] ?? '';
    expect(rubygems.compare(a, b), `${a} < ${b}`).toBe(-1);
    expect(rubygems.compare(b, a), `${b} > ${a}`).toBe(1);
  }
}

describe('rubygems versions: order (Gem::Version)', () => {
  it.each([
    [['0.9', '1.0', '1.0.1', '1.1', '1.9', '1.10', '2']],
    // A letter makes a pre-release, below the release of the same numbers.
    [['1.0.a', '1.0.b1', '1.0.rc1', '1.0']],
    // Letter and digit runs split: 1.0.a10 is 1.0.a.10, above 1.0.a9 (Gem::Version docs).
    [['1.0.a9', '1.0.a10', '1.0.b']],
    // A hyphen reads as ".pre.": 1.0.0-1 is 1.0.0.pre.1.
    [['1.0.0-1', '1.0.0-2', '1.0.0.rc1', '1.0.0']],
    // Letter segments compare byte-wise, so capitals come first.
    [['1.0.RC1', '1.0.beta', '1.0.rc1']],
    // A letter segment sorts below a number in the same place.
    [['1.a', '1.0.1']],
    [[`1.${'9'.repeat(30)}`, `1.1${'0'.repeat(30)}`]],
  ])('sorts %j', (sorted) => {
    expectAscending(sorted);
  });

  it.each([
    ['1', '1.0.0', 'trailing zeros of the release part do not count'],
    ['1.0.a', '1.a', 'nor zeros before the pre-release part'],
    ['1.a.0', '1.a', 'nor trailing zeros of the pre-release part'],
    ['1.0.a10', '1.0.a.10', 'letters and digits split into segments'],
    ['1.0.0-rc1', '1.0.0.pre.rc1', 'a hyphen is ".pre."'],
    ['1.01', '1.1', 'numbers compare by value'],
  ])('%s = %s (%s)', (a, b) => {
    expect(rubygems.compare(a, b)).toBe(0);
  });
});

describe('rubygems versions: what is not a version', () => {
  it.each([
    ['', 'empty (Ruby reads it as "0"; we refuse it)'],
    [' 1.0', 'whitespace (Ruby strips it; we refuse it)'],
    ['1beta', 'letters straight after the first number'],
    ['a1', 'not starting with a digit'],
    ['1..0', 'empty segment'],
    ['1.0.', 'trailing dot'],
    ['1.0-', 'empty suffix'],
    ['1.0_1', 'underscore'],
    ['1.0-x86_64-linux', 'a platform suffix with an underscore'],
    [`1.${'0'.repeat(300)}`, 'longer than 256 characters'],
  ])('refuses %j (%s)', (input) => {
    expect(rubygems.isValid(input)).toBe(false);
    expect(() => rubygems.compare(input, '1.0')).toThrow(VersionError);
    expect(() => rubygems.compare('1.0', input)).toThrow(/invalid rubygems version/);
  });
});

describe('rubygems versions: osv-scalibr vectors', () => {
  it('agrees with rubygems-versions.txt except on strings Gem::Version refuses', () => {
    const refused = 'Gem::Version requires a "." before the first letter segment (Gem::Version.new raises)';
    const result = checkVectors(
      rubygems,
      'osv-scalibr/rubygems-versions.txt',
      { '1beta': refused, '1gamma': refused },
      {},
    );
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ vectors: 25, agreed: 23, refused: 2, disagreed: 0 });
  });

  it('agrees with every vector of rubygems-versions-generated.txt', () => {
    const result = checkVectors(rubygems, 'osv-scalibr/rubygems-versions-generated.txt', {}, {});
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ vectors: 4098, agreed: 4098 });
  });
});

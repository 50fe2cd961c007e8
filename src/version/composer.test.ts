import { describe, expect, it } from 'vitest';
import { checkVectors } from '../testing/version-vectors.js';
import type { KnownDisagreement } from '../testing/version-vectors.js';
import { composer, normalizeComposerVersion } from './composer.js';
import { VersionError } from './scheme.js';

function expectAscending(sorted: readonly string[]): void {
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i] ?? '';
    const b = sorted[i + 1] ?? '';
    expect(composer.compare(a, b), `${a} < ${b}`).toBe(-1);
    expect(composer.compare(b, a), `${b} > ${a}`).toBe(1);
  }
}

describe('composer versions: normalization (composer/semver VersionParser)', () => {
  it.each([
    ['1', '1.0.0.0'],
    ['1.2.3', '1.2.3.0'],
    ['v1.2.3.4', '1.2.3.4'],
    ['V1.0', '1.0.0.0'],
    ['1.0.01', '1.0.01.0'],
    ['1.0-dev', '1.0.0.0-dev'],
    ['1.0dev', '1.0.0.0-dev'],
    ['1.0a1', '1.0.0.0-alpha1'],
    ['1.0.0-b.2.1', '1.0.0.0-beta2.1'],
    ['1.0.0RC1', '1.0.0.0-RC1'],
    ['1.0.0.rc2', '1.0.0.0-RC2'],
    ['1.0.0_beta1', '1.0.0.0-beta1'],
    ['1.0pl1', '1.0.0.0-patch1'],
    ['1.0-p1', '1.0.0.0-patch1'],
    ['1.0.0-beta2-dev', '1.0.0.0-beta2-dev'],
    ['1.0.0-stable', '1.0.0.0'],
    ['1.0.0+build.5', '1.0.0.0'],
    ['20240131', '20240131'],
    ['2024.01.31', '2024.01.31.0'],
    ['2024-01-31', '2024.01.31'],
    ['20240131-beta1', '20240131-beta1'],
    ['2.x-dev', '2.9999999.9999999.9999999-dev'],
    ['v2.1.*-dev', '2.1.9999999.9999999-dev'],
    ['dev-main', 'dev-main'],
    ['DEV-Feature/x', 'dev-Feature/x'],
    ['master', 'dev-master'],
  ])('normalizes %s to %s', (input, normalized) => {
    expect(normalizeComposerVersion(input)).toBe(normalized);
    expect(composer.isValid(input)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['1.0.0.0.0', 'five numbers'],
    ['123456.1.2', 'six digits in a classic major (Composer reads long numbers as dates only)'],
    ['1.0-test1', 'an unknown stability'],
    ['1.0.0-beta.post1', 'a suffix after the stability number'],
    ['1.0.0_beta_1', 'an underscore before the stability number'],
    ['4.3-2RC1', 'a number before the stability'],
    ['1.2.3.#', 'a character outside the grammar'],
    ['dev-', 'a branch without a name'],
    ['feature-x', 'a branch without dev-'],
    ['1.0 as 2.0', 'an alias (constraint syntax, not a version)'],
    [' 1.0', 'whitespace (Composer trims; we refuse)'],
    [`1.0.0-beta${'1'.repeat(260)}`, 'longer than 256 characters'],
  ])('refuses %j (%s)', (input) => {
    expect(composer.isValid(input)).toBe(false);
    expect(() => composer.compare(input, '1.0')).toThrow(VersionError);
    expect(() => normalizeComposerVersion(input)).toThrow(/invalid composer version/);
  });
});

describe('composer versions: order', () => {
  it.each([
    // The stabilities, then patches: dev < alpha < beta < RC < stable < patch.
    [['1.0-dev', '1.0-alpha1', '1.0-beta1', '1.0-RC1', '1.0', '1.0-patch1', '1.0.0.1']],
    [['1.0-alpha1-dev', '1.0-alpha1', '1.0-alpha2', '1.0-alpha10']],
    [['1.0-beta', '1.0-beta1', '1.0-beta1.1', '1.0-beta2']],
    [['1.9', '1.10', '1.10.1', '2.0-dev', '2.0']],
    // Named branches below every numbered version; numbered branches above their line.
    [['dev-feature', 'dev-main', '0.0.1', '2.0', '2.99', '2.x-dev', '3.0']],
    [['20230101', '20240131', '20240131.1']],
  ])('sorts %j', (sorted) => {
    expectAscending(sorted);
  });

  it.each([
    ['1.0', '1.0.0.0', 'four numbers, missing ones 0'],
    ['v1.0.0', '1.0.0', 'the v prefix is not part of the version'],
    ['1.0.0-RC1', '1.0.0rc1', 'stabilities ignore case and separators'],
    ['1.0.0-beta2', '1.0.0.b2', 'b is beta'],
    ['1.0.0-p1', '1.0.0-pl1', 'p and pl are patch'],
    ['1.0.0+a', '1.0.0+b', 'build metadata is dropped'],
    ['dev-main', 'dev-main', 'a branch equals itself'],
  ])('%s = %s (%s)', (a, b) => {
    expect(composer.compare(a, b)).toBe(0);
  });

  it('treats two different branch names as different, as Composer does', () => {
    expect(composer.compare('dev-a', 'dev-b')).toBe(-1);
  });
});

// osv-scalibr's vectors come from PHP's version_compare tests and from version_compare applied to
// raw, unnormalized Packagist versions. Composer normalizes first, so where normalization
// changes the answer the vector is wrong for Composer, and where VersionParser refuses a string
// Packagist would not list it.
const PADDED =
  'Composer pads to four numbers first, so the shorter version is the release and the suffix a pre-release of it';
const CASE =
  'Composer reads stability names case-insensitively; raw version_compare does not know upper-case ALPHA/BETA';
const STABLE =
  'Composer reads -stable as a release; raw version_compare ranks the unknown word "stable" below dev';
const NOT_COMPOSER = 'VersionParser::normalize refuses it: not a Composer version';
const NUMBER_BEFORE_STABILITY =
  'VersionParser::normalize refuses a number between the "-" and the stability (PHP test input)';
const HASH = 'VersionParser::normalize refuses "#" (a version_compare special form, not a Composer version)';
const TOO_LONG_MAJOR =
  'VersionParser::normalize refuses it: a classic major has at most 5 digits, a date-like run at most 22';

const PHP_SUITE_REFUSED: Record<string, string> = {
  '4.3-2RC1': NUMBER_BEFORE_STABILITY,
  '4.3-2RC2': NUMBER_BEFORE_STABILITY,
  '4.3-2beta5': NUMBER_BEFORE_STABILITY,
  '4.3-2beta1': NUMBER_BEFORE_STABILITY,
  '4.3-2': 'VersionParser::normalize refuses a build number after "-"',
};
const HASH_REFUSED: Record<string, string> = {
  '1.2.3.#': HASH,
  '1.2.3.#.1': HASH,
  '1.2.3.#.p3': HASH,
  '1.2.3.#.beta': HASH,
};
const BIG_REFUSED: Record<string, string> = {
  '999999999999999999999999999991': TOO_LONG_MAJOR,
  '999999999999999999999999999999': TOO_LONG_MAJOR,
  '999999999999999999999999999991.999999999999999999999999999991.999999999999999999999999999991':
    TOO_LONG_MAJOR,
  '999999999999999999999999999999.999999999999999999999999999991.999999999999999999999999999991':
    TOO_LONG_MAJOR,
};

describe('composer versions: osv-scalibr and osv.dev vectors', () => {
  it('agrees with packagist-versions.txt where Composer would', () => {
    const disagreements: Record<string, KnownDisagreement> = {
      '1.0.0 > 1.0': {
        ours: 0,
        reason: 'both normalize to 1.0.0.0 (version_compare alone says 1.0.0 > 1.0)',
      },
    };
    const result = checkVectors(
      composer,
      'osv-scalibr/packagist-versions.txt',
      { ...PHP_SUITE_REFUSED, ...HASH_REFUSED, ...BIG_REFUSED },
      disagreements,
    );
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ vectors: 95, agreed: 83, refused: 11, disagreed: 1 });
  });

  it('agrees with packagist-versions-generated.txt where Composer would', () => {
    const disagreements: Record<string, KnownDisagreement> = {
      'v3.0 < v3.0.0-beta': { ours: 1, reason: PADDED },
      'v3.4 < v3.4.0-alpha': { ours: 1, reason: PADDED },
      'v4-beta4 < v4.0-alpha': { ours: 1, reason: PADDED },
      'v4.4 < v4.4.0-beta': { ours: 1, reason: PADDED },
      'v6.5 < v6.5.0-beta-0': { ours: 1, reason: PADDED },
      'v6.6 < v6.6.0-beta': { ours: 1, reason: PADDED },
      'v1.9.0-ALPHA.1 = v1.9.0-BETA.1': { ours: -1, reason: CASE },
      'v1.9.0-BETA.1 < v1.9.0-ALPHA.2': { ours: 1, reason: CASE },
      'v1.9.0-ALPHA.2 = v1.9.0-BETA.2': { ours: -1, reason: CASE },
      '5.1.0-stable < 5.1.0-beta2': { ours: 1, reason: STABLE },
    };
    const refused: Record<string, string> = {
      '0.0.1-test1': NOT_COMPOSER,
      '3.0.0b1.post1': NOT_COMPOSER,
      '3.0.0b1.post2': NOT_COMPOSER,
      '3.0.0b2.post1': NOT_COMPOSER,
      '3.0.0b2.post2': NOT_COMPOSER,
      '3.1.0.post1': NOT_COMPOSER,
      '3.2.0rc1.post1': NOT_COMPOSER,
      '3.5.0.post1': NOT_COMPOSER,
      '3.5.2.post1': NOT_COMPOSER,
      '1.5.1.dev100': NOT_COMPOSER,
      '1.5.1.dev101': NOT_COMPOSER,
    };
    const result = checkVectors(
      composer,
      'osv-scalibr/packagist-versions-generated.txt',
      refused,
      disagreements,
    );
    expect(result.problems).toEqual([]);
    expect(result.vectors).toBe(10630);
    expect(result.disagreed).toBe(10);
    expect(result.agreed + result.refused + result.disagreed).toBe(10630);
    expect(result.agreed).toBeGreaterThan(10_580);
  });

  it('agrees with osv.dev packagist_test_cases.txt where Composer would', () => {
    const result = checkVectors(composer, 'osv.dev/packagist_test_cases.txt', HASH_REFUSED, {});
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ vectors: 85, agreed: 79, refused: 6, disagreed: 0 });
  });
});

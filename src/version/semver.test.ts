import * as npmSemver from 'semver';
import { describe, expect, it } from 'vitest';
import { Rng } from '../testing/version-oracles.js';
import { checkVectors } from '../testing/version-vectors.js';
import { VersionError } from './scheme.js';
import { parseSemver, semver } from './semver.js';

function expectAscending(scheme: typeof semver, sorted: readonly string[]): void {
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i] ?? '';
    const b = sorted[i + 1] ?? '';
    expect(scheme.compare(a, b), `${a} < ${b}`).toBe(-1);
    expect(scheme.compare(b, a), `${b} > ${a}`).toBe(1);
  }
}

describe('npm semver: what is a version', () => {
  it.each([
    ['1.2.3', { major: '1', minor: '2', patch: '3', prerelease: [], build: [] }],
    ['v1.2.3', { major: '1', minor: '2', patch: '3', prerelease: [], build: [] }],
    ['=1.2.3', { major: '1', minor: '2', patch: '3', prerelease: [], build: [] }],
    ['=v1.2.3', { major: '1', minor: '2', patch: '3', prerelease: [], build: [] }],
    ['0.0.0-0', { major: '0', minor: '0', patch: '0', prerelease: ['0'], build: [] }],
    ['1.0.0-x-y.0a.--', { major: '1', minor: '0', patch: '0', prerelease: ['x-y', '0a', '--'], build: [] }],
    [
      '1.0.0+001.sha-5114f85',
      { major: '1', minor: '0', patch: '0', prerelease: [], build: ['001', 'sha-5114f85'] },
    ],
    [
      '9007199254740991.0.0',
      { major: '9007199254740991', minor: '0', patch: '0', prerelease: [], build: [] },
    ],
  ])('reads %s', (input, parts) => {
    expect(parseSemver(input)).toEqual(parts);
    expect(semver.isValid(input)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['1.2', 'PATCH missing'],
    ['1.2.3.4', 'a fourth number'],
    ['01.2.3', 'leading zero in MAJOR'],
    ['1.2.3-01', 'leading zero in a numeric pre-release identifier'],
    ['1.2.3-', 'empty pre-release'],
    ['1.2.3-a..b', 'empty pre-release identifier'],
    ['1.2.3+', 'empty build'],
    ['1.2.3+a_b', 'underscore in build'],
    ['1.2.3-é', 'non-ASCII identifier'],
    ['V1.2.3', 'capital V (npm takes only v)'],
    ['vv1.2.3', 'two v prefixes'],
    ['v=1.2.3', 'v before ='],
    [' 1.2.3', 'surrounding whitespace (npm trims; we refuse)'],
    ['1.2.3beta', 'pre-release without its hyphen (npm loose mode only)'],
    ['9007199254740992.0.0', 'MAJOR above 2^53 - 1'],
    [`1.2.3-${'a'.repeat(251)}`, 'longer than 256 characters'],
  ])('refuses %j (%s)', (input) => {
    expect(semver.isValid(input)).toBe(false);
    expect(() => semver.compare(input, '1.0.0')).toThrow(VersionError);
    expect(() => semver.compare('1.0.0', input)).toThrow(/invalid semver version/);
  });
});

describe('npm semver: precedence (semver.org 2.0.0 §11)', () => {
  it.each([
    // §11.4's own example.
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
    [['1.9.0', '1.10.0', '1.11.0', '2.0.0', '2.1.0', '2.1.1']],
    // Numeric identifiers sort below alphanumeric ones; alphanumeric ones in ASCII order.
    [['1.0.0-2', '1.0.0-10', '1.0.0-1a', '1.0.0-A', '1.0.0-Z', '1.0.0-a', '1.0.0-z']],
    [['1.0.0--', '1.0.0-0-', '1.0.0-a-']],
    [['9007199254740990.0.0', '9007199254740991.0.0']],
  ])('sorts %j', (sorted) => {
    expectAscending(semver, sorted);
  });

  it.each([
    ['1.0.0+build.1', '1.0.0+build.2', 'build metadata is ignored (§10)'],
    ['1.0.0-rc.1+a', '1.0.0-rc.1', 'build metadata is ignored on pre-releases too'],
    ['v1.2.3', '1.2.3', 'the v prefix is not part of the version'],
    ['=v1.2.3', '1.2.3', 'neither is ='],
  ])('%s = %s (%s)', (a, b) => {
    expect(semver.compare(a, b)).toBe(0);
  });

  it('compares numeric pre-release identifiers above 2^53 exactly, where npm rounds them to doubles', () => {
    // npm reads both as the double 1e20 and calls them equal; §11.4.1 compares integers.
    expect(semver.compare('1.0.0-100000000000000000001', '1.0.0-100000000000000000000')).toBe(1);
    expect(npmSemver.compare('1.0.0-100000000000000000001', '1.0.0-100000000000000000000')).toBe(0);
  });
});

// A seeded generator biased toward the hard parts: pre-release identifiers that are numeric,
// alphanumeric or made of hyphens, build metadata, prefixes, numbers at npm's 2^53 - 1 limit, and
// a share of malformed input so that validity is compared too.
const NUMBERS = ['0', '1', '2', '3', '9', '10', '11', '99', '100', '9007199254740991'];
const BAD_NUMBERS = ['00', '01', '9007199254740992', '', 'x'];
const WORDS = [
  'alpha',
  'beta',
  'rc',
  'a',
  'b',
  'A',
  'Alpha',
  'RC',
  'x-1',
  '-',
  '--',
  '0a',
  '1a',
  'rc1',
  'z',
  'pre',
];
const IDENT_CHARS = '0123456789abcdefxyzABCXYZ-';

function number(rng: Rng): string {
  if (rng.chance(0.02)) return rng.pick(BAD_NUMBERS);
  return rng.chance(0.8) ? rng.pick(NUMBERS) : String(rng.int(1_000_000));
}

function identifier(rng: Rng): string {
  const r = rng.next();
  if (r < 0.35)
    return rng.chance(0.98) ? String(rng.int(rng.chance(0.5) ? 12 : 100_000)) : '0' + String(1 + rng.int(9));
  if (r < 0.7) return rng.pick(WORDS);
  if (r < 0.705) return '';
  let s = '';
  const n = 1 + rng.int(5);
  for (let i = 0; i < n; i++) s += IDENT_CHARS.charAt(rng.int(IDENT_CHARS.length));
  return s;
}

function generate(rng: Rng): string {
  const prefix = rng.chance(0.01) ? 'V' : rng.pick(['', '', '', '', '', '', 'v', 'v', '=', '=v']);
  let core = `${number(rng)}.${number(rng)}.${number(rng)}`;
  if (rng.chance(0.02)) core = rng.pick([`${number(rng)}.${number(rng)}`, `${core}.${number(rng)}`]);
  let s = prefix + core;
  if (rng.chance(0.65)) {
    const ids = Array.from({ length: 1 + rng.int(4) }, () => identifier(rng));
    s += `-${ids.join('.')}`;
  }
  if (rng.chance(0.3)) {
    const ids = Array.from({ length: 1 + rng.int(3) }, () =>
      rng.chance(0.97) ? identifier(rng) || 'b' : '',
    );
    s += `+${ids.join('.')}`;
  }
  return s;
}

// A variant of `v` that differs in one place, so that equal and nearly equal pairs are common.
function mutate(rng: Rng, v: string): string {
  const r = rng.next();
  if (r < 0.25) return v.replace(/^[=v]+/, '') || v;
  if (r < 0.5) return v.includes('+') ? v.slice(0, v.indexOf('+')) : `${v}+build.${rng.int(3)}`;
  if (r < 0.75)
    return v.includes('-')
      ? `${v.split('+')[0] ?? v}.${identifier(rng) || '1'}`
      : `${v}-${identifier(rng) || '0'}`;
  return v.replace(/\d+/, (d) => String(Number(d) + (rng.chance(0.5) ? 1 : 0)));
}

// npm takes a leading "=" only in loose mode; the strict parser sees the rest.
const withoutEquals = (v: string): string => (v.startsWith('=') ? v.slice(1) : v);

describe('npm semver: agreement with the semver package (npm’s own implementation)', () => {
  const rng = new Rng(0x5e3e);
  const pool = Array.from({ length: 800 }, () => generate(rng));
  const pairs: [string, string][] = [];
  for (let i = 0; i < 15_000; i++) {
    const a = rng.pick(pool);
    pairs.push([a, rng.chance(0.4) ? mutate(rng, a) : rng.pick(pool)]);
  }

  it('accepts exactly the versions npm accepts', () => {
    const inputs = new Set(pairs.flat());
    const differ = [...inputs].filter(
      (v) => semver.isValid(v) !== (typeof npmSemver.valid(withoutEquals(v)) === 'string'),
    );
    expect(differ).toEqual([]);
    const valid = [...inputs].filter((v) => semver.isValid(v)).length;
    // The generator must exercise both sides.
    expect(valid).toBeGreaterThan(inputs.size / 2);
    expect(inputs.size - valid).toBeGreaterThan(100);
  });

  it('orders over 10,000 generated pairs of valid versions as npm does', () => {
    const both = pairs.filter(([a, b]) => semver.isValid(a) && semver.isValid(b));
    expect(both.length).toBeGreaterThan(10_000);
    const differ = both.filter(
      ([a, b]) => semver.compare(a, b) !== npmSemver.compare(withoutEquals(a), withoutEquals(b)),
    );
    expect(differ).toEqual([]);
    // Ties and pre-release comparisons must be well represented, not just major-number wins.
    expect(both.filter(([a, b]) => semver.compare(a, b) === 0).length).toBeGreaterThan(1000);
    expect(both.filter(([a, b]) => a.includes('-') && b.includes('-')).length).toBeGreaterThan(3000);
  });
});

describe('npm semver: osv-scalibr vectors', () => {
  it('agrees with semver-versions.txt except where it breaks semver.org 2.0.0', () => {
    const notSemver = 'semver.org 2.0.0 §2 requires exactly MAJOR.MINOR.PATCH; osv-scalibr pads or truncates';
    const result = checkVectors(
      semver,
      'osv-scalibr/semver-versions.txt',
      {
        '999999999999999999999999999991': notSemver,
        '999999999999999999999999999999': notSemver,
        '999999999999999999999999999991.999999999999999999999999999991.999999999999999999999999999991':
          'npm keeps numbers as doubles and refuses any above 2^53 - 1',
        '999999999999999999999999999999.999999999999999999999999999991.999999999999999999999999999991':
          'npm keeps numbers as doubles and refuses any above 2^53 - 1',
        '1.1.3.4.5': notSemver,
      },
      {},
    );
    expect(result.problems).toEqual([]);
    expect(result).toMatchObject({ vectors: 86, agreed: 83, refused: 3, disagreed: 0 });
  });
});

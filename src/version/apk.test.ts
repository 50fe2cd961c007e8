import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { readVersionVectors, Rng } from '../testing/version-oracles.js';
import { apk } from './apk.js';
import { VersionError } from './scheme.js';

// There is no apk binary on these machines: the cases below are written from apk-tools' grammar
// (src/version.c: digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r number}) and its token
// ordering, and checked against osv-scalibr's Alpine vectors.

function expectAscending(sorted: readonly string[]): void {
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i] ?? '';
    const b = sorted[i + 1] ?? '';
    expect(apk.compare(a, b), `${a} < ${b}`).toBe(-1);
    expect(apk.compare(b, a), `${b} > ${a}`).toBe(1);
  }
}

describe('apk versions: ordering', () => {
  it.each([
    {
      why: 'pre-release suffixes sort before the bare version, the others after it',
      sorted: [
        '1.0_alpha',
        '1.0_beta',
        '1.0_pre',
        '1.0_rc',
        '1.0',
        '1.0_cvs',
        '1.0_svn',
        '1.0_git',
        '1.0_hg',
        '1.0_p',
      ],
    },
    { why: 'suffix numbers compare by value', sorted: ['1.0_rc', '1.0_rc1', '1.0_rc2', '1.0_rc10', '1.0'] },
    {
      why: 'after an equal prefix, the next token kind decides: end < revision < hash < suffix < letter < number',
      sorted: ['1.0', '1.0-r1', '1.0~cafe', '1.0_p1', '1.0a', '1.0.1'],
    },
    {
      why: 'a further pre-release suffix makes a version older',
      sorted: ['1.0_alpha_beta', '1.0_alpha', '1.0_alpha_p1'],
    },
    { why: 'revisions compare by value', sorted: ['1.0-r0', '1.0-r1', '1.0-r2', '1.0-r10'] },
    { why: 'the letter compares as ASCII', sorted: ['1.0a', '1.0b', '1.0z', '1.0.0'] },
    {
      why: 'a later number with a leading zero on either side compares as text',
      sorted: ['1.0', '1.00', '1.001', '1.01', '1.05', '1.1', '1.5', '1.10'],
    },
    { why: 'text comparison of zero-led numbers', sorted: ['8.2.0015', '8.2.002'] },
    { why: 'the first number always compares by value', sorted: ['1.0', '2', '006', '10'] },
    { why: 'commit hashes compare as bytes', sorted: ['1.0~0a', '1.0~A', '1.0~a', '1.0~ab', '1.0~b'] },
    {
      why: 'numbers of any length compare by value',
      sorted: ['1.99999999999999999998', '1.99999999999999999999', '1.100000000000000000000'],
    },
    {
      why: 'digits after the letter are one more number (apk-tools 2)',
      sorted: ['6.6.2p1', '6.6.2p2', '6.6.2p10', '6.6.3'],
    },
    {
      why: 'a letter-number sorts after the suffix forms',
      sorted: ['6.6.2', '6.6.2_p1', '6.6.2_p2', '6.6.2p1'],
    },
  ])('$why', ({ sorted }) => {
    expectAscending(sorted);
  });

  it.each([
    ['1.0-r1', '1.0-r01'],
    ['01.0', '1.0'],
    ['1.0_rc01', '1.0_rc1'],
    ['1.0_p', '1.0_p'],
  ])('treats %s and %s as the same version', (a, b) => {
    expect(apk.compare(a, b)).toBe(0);
    expect(apk.compare(b, a)).toBe(0);
  });
});

describe('apk versions: validation', () => {
  it.each([
    '0',
    '1.2.3',
    '1.2.3a',
    '1.2.3_rc1_p2',
    '1.2.3_alpha_beta',
    '1.2.3~deadBEEF',
    '1.2.3-r0',
    '1.2.3a_p1~abc-r12',
    '20240101',
    '6.6.2p1-r0',
  ])('accepts %s', (v) => {
    expect(apk.isValid(v)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    ['.1', 'no leading number'],
    ['v1.0', 'a leading letter'],
    ['1.', 'a dot without a number'],
    ['1..2', 'two dots'],
    ['1.0A', 'an upper-case letter'],
    ['1.0ab', 'two letters'],
    ['1.0a.1', 'a dotted number after the letter'],
    ['1.0_foo', 'an unknown suffix'],
    ['1.0_', 'an empty suffix'],
    ['1.0_p1.2', 'a dotted number after a suffix'],
    ['1.0-1', 'a hyphen without r'],
    ['1.0-r', 'a revision without a number'],
    ['1.0-r1-r2', 'two revisions'],
    ['1.0-r1_p1', 'a suffix after the revision'],
    ['1.0-r1.1', 'a dotted revision'],
    ['1.0~', 'an empty hash'],
    ['1.0~xyz', 'a hash that is not hexadecimal'],
    ['1.0~ab~cd', 'two hashes'],
    ['1.0~ab_p1', 'a suffix after the hash'],
    ['1.0 ', 'a space'],
    ['1,0', 'a comma'],
    ['1.0\u0000', 'NUL'],
    [`1.${'1'.repeat(300)}`, 'more than 256 characters'],
  ])('refuses %j (%s)', (v) => {
    expect(apk.isValid(v)).toBe(false);
    expect(() => apk.compare(v, '1.0')).toThrow(VersionError);
    expect(() => apk.compare('1.0', v)).toThrow(/invalid apk version/);
  });
});

// The hand-written osv-scalibr file also records what `apk version -t` does with strings apk
// itself calls invalid. We refuse those; this is the full list, so a change in what we refuse
// shows up here.
const REFUSED_VECTOR_VERSIONS = [
  '1-r',
  '1-r-0',
  '1-r-1',
  '0.r1',
  '0..1..0',
  '0..1..1',
  '0...1...0',
  '0...1...1',
  '0...1...0.r1',
  '0...1...0.r2',
  '0...1...0r1',
  '0...1...0r2',
  '0..8',
  '0...8',
  '0.8.21.r2',
  '0.8.21.r1',
  '10.2.24.r0',
  '10.2.22.r0',
  '1.2.0A',
  '1.2.0D',
  '1-ruff',
  '1-r0-1',
  '1-r-2',
  '1-r0-2',
  '1-ruff2',
  '1-ruff1',
  '1--ruff1',
  '1-r0-ruff2',
  '1-r0-ruff1',
  '1.2_blah',
  '1.2_csv2',
  '.1',
  '.2',
  'a',
  'b',
  'c',
  '23_foo',
  '1.0bc',
];

describe('apk versions: osv-scalibr vectors', () => {
  it.each([
    ['alpine-versions.txt', REFUSED_VECTOR_VERSIONS],
    ['alpine-versions-generated.txt', []],
  ])('agree with every line of %s whose versions apk accepts', (file, refused) => {
    const cases = readVersionVectors(sharedData('version-compare', 'osv-scalibr', file));
    const rejected = new Set<string>();
    const wrong: string[] = [];
    let compared = 0;
    for (const c of cases) {
      if (!apk.isValid(c.a)) rejected.add(c.a);
      if (!apk.isValid(c.b)) rejected.add(c.b);
      if (apk.isValid(c.a) && apk.isValid(c.b)) {
        compared++;
        if (apk.compare(c.a, c.b) !== c.expected) wrong.push(`line ${c.line}: ${c.a} vs ${c.b}`);
      }
    }
    expect(wrong).toEqual([]);
    expect([...rejected].sort()).toEqual([...refused].sort());
    expect(compared).toBeGreaterThan(cases.length * 0.9);
  });
});

function genApk(rng: Rng): string {
  let v = rng.pick(['0', '1', '2', '10', '01', '006']);
  for (let n = rng.int(4); n > 0; n--) v += `.${rng.pick(['0', '1', '2', '9', '10', '00', '01', '05', '5'])}`;
  if (rng.chance(0.25)) v += rng.pick(['a', 'b', 'z', 'p1', 'p10']);
  for (let n = rng.chance(0.5) ? rng.int(3) : 0; n > 0; n--) {
    v += `_${rng.pick(['alpha', 'beta', 'pre', 'rc', 'cvs', 'svn', 'git', 'hg', 'p'])}`;
    if (rng.chance(0.6)) v += rng.pick(['0', '1', '2', '10', '01']);
  }
  if (rng.chance(0.15)) v += `~${rng.pick(['a', 'ab', 'cafe', '0f', 'F', '12'])}`;
  if (rng.chance(0.5)) v += `-r${rng.pick(['0', '1', '2', '10', '01'])}`;
  return v;
}

describe('apk versions: consistency over generated versions', () => {
  it('sorts 3,000 generated versions into one consistent order', () => {
    const rng = new Rng(0xa9c0_0001);
    const versions = Array.from({ length: 3000 }, () => genApk(rng));
    for (const v of versions) expect(apk.isValid(v), v).toBe(true);
    const sorted = [...versions].sort((a, b) => apk.compare(a, b));
    // A consistent total order: every element is >= its predecessor, and any two sampled positions agree with
    // their order in the sorted list.
    for (let i = 0; i + 1 < sorted.length; i++) {
      expect(apk.compare(sorted[i] ?? '', sorted[i + 1] ?? '')).toBeLessThanOrEqual(0);
    }
    for (let k = 0; k < 20_000; k++) {
      const i = rng.int(sorted.length);
      const j = rng.int(sorted.length);
      const a = sorted[Math.min(i, j)] ?? '';
      const b = sorted[Math.max(i, j)] ?? '';
      expect(apk.compare(a, b)).toBeLessThanOrEqual(0);
      expect(apk.compare(b, a) + apk.compare(a, b)).toBe(0);
    }
  });
});

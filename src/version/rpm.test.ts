import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { readVersionVectors, Rng, rpmOracle } from '../testing/version-oracles.js';
import { compareRpmEvr, parseRpmEvr, rpm } from './rpm.js';
import { VersionError } from './scheme.js';

function expectAscending(sorted: readonly string[]): void {
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i] ?? '';
    const b = sorted[i + 1] ?? '';
    expect(rpm.compare(a, b), `${a} < ${b}`).toBe(-1);
    expect(rpm.compare(b, a), `${b} > ${a}`).toBe(1);
  }
}

describe('rpm versions: parsing', () => {
  it.each([
    ['1.0', { epoch: 0, version: '1.0' }],
    ['1.0-1.el9', { epoch: 0, version: '1.0', release: '1.el9' }],
    ['2:1.0-1', { epoch: 2, version: '1.0', release: '1' }],
    ['0:3.10.0-229.el7', { epoch: 0, version: '3.10.0', release: '229.el7' }],
    ['1.0~rc1^git2_3+4', { epoch: 0, version: '1.0~rc1^git2_3+4' }],
  ])('splits %s into epoch, version and release', (input, fields) => {
    expect(parseRpmEvr(input)).toEqual(fields);
  });

  it.each([
    ['', 'empty'],
    [':1.0', 'empty epoch'],
    ['a:1.0', 'epoch not a number'],
    ['1:2:3', 'a second colon'],
    ['1.0-', 'empty release'],
    ['-1', 'empty version'],
    ['1.0-1-2', 'a hyphen in the version'],
    ['+_', 'no letter or digit'],
    ['1.0-~', 'a release without a letter or digit'],
    ['1.0 1', 'a space'],
    ['1.0%{dist}', 'macro syntax'],
    ['1.1.α', 'non-ASCII'],
    ['1.0\u0000', 'NUL'],
    [`1.${'0'.repeat(300)}`, 'more than 256 characters'],
  ])('refuses %j (%s)', (input) => {
    expect(rpm.isValid(input)).toBe(false);
    expect(() => rpm.compare(input, '1.0')).toThrow(VersionError);
    expect(() => rpm.compare('1.0', input)).toThrow(/invalid rpm version/);
  });
});

describe('rpm versions: ordering (rpmvercmp)', () => {
  it.each([
    { why: 'numbers compare by value', sorted: ['1.9', '1.10', '1.100', `1.${'9'.repeat(30)}`] },
    { why: 'a number is newer than letters', sorted: ['1.a', '1.z', '1.0'] },
    { why: 'letters compare as ASCII', sorted: ['1.0A', '1.0Z', '1.0a', '1.0aa', '1.0b'] },
    {
      why: 'a tilde sorts before everything, even the end',
      sorted: ['1.0~~', '1.0~rc1', '1.0~rc2', '1.0', '1.0a'],
    },
    {
      why: 'a caret sorts after the end but before anything more',
      sorted: ['1.0', '1.0^', '1.0^git1', '1.0^git2', '1.0.1'],
    },
    {
      why: 'tilde and caret combine',
      sorted: ['1.0~rc1', '1.0~rc1^git1', '1.0', '1.0^git1~pre', '1.0^git1'],
    },
    { why: 'the epoch outranks everything (missing is 0)', sorted: ['9.9-9', '1:0.1', '1:0.2', '2:0'] },
    {
      why: 'a missing release sorts before any release',
      sorted: ['1.0', '1.0-0', '1.0-1', '1.0-1.el9', '1.0-2'],
    },
    {
      why: 'typical distribution releases',
      sorted: ['0:3.10.0-229.el7', '0:3.10.0-229.1.2.ael7b', '0:3.10.0-229.1.2.el7'],
    },
  ])('$why', ({ sorted }) => {
    expectAscending(sorted);
  });

  it.each([
    ['1.0', '1_0'],
    ['1.0', '1+0'],
    ['1.0', '1..0'],
    ['1.0.', '1.0'],
    ['1.01', '1.1'],
    ['01:1.0', '1:1.0'],
    ['0:1.0', '1.0'],
    ['1.0a', '1.0.a'],
  ])('treats %s and %s as the same version', (a, b) => {
    expect(rpm.compare(a, b)).toBe(0);
    expect(rpm.compare(b, a)).toBe(0);
  });
});

describe('rpm versions: separate epoch, version and release', () => {
  it.each([
    [{ version: '1.0', release: '1' }, { epoch: 0, version: '1.0', release: '1' }, 0],
    [{ epoch: 1, version: '1.0' }, { version: '2.0' }, 1],
    [{ epoch: '2', version: '1.0' }, { epoch: 10, version: '1.0' }, -1],
    [{ version: '1.0' }, { version: '1.0', release: '0' }, -1],
    [{ version: '1.0', release: '1.el9' }, { version: '1.0', release: '1.el10' }, -1],
  ])('compares %j with %j as %i', (a, b, expected) => {
    expect(compareRpmEvr(a, b)).toBe(expected);
    expect(compareRpmEvr(b, a)).toBe(-expected || 0);
  });

  it.each([
    [{ epoch: -1, version: '1.0' }],
    [{ epoch: 1.5, version: '1.0' }],
    [{ epoch: 'x', version: '1.0' }],
    [{ version: '' }],
    [{ version: '1-0' }],
    [{ version: '1.0', release: '' }],
    [{ version: '1.0', release: '1-2' }],
    [{ version: '1.0', release: 'a b' }],
  ])('refuses %j', (evr) => {
    expect(() => compareRpmEvr(evr, { version: '1.0' })).toThrow(VersionError);
  });
});

// osv-scalibr's file also records rpm's behaviour on strings that are not RPM versions (colons
// that are not epochs, non-ASCII letters, bare separators, empty releases). We refuse those; this
// is the full list, so a change in what we refuse shows up here.
const REFUSED_VECTOR_VERSIONS = [
  '+_',
  '_+',
  '+',
  '_',
  'a:1',
  'b:1',
  'a:2',
  'a:1~1',
  'c:1~1',
  'a1:1',
  'b1:1',
  'a1:2',
  'a2:1',
  'b~1:1',
  '1-',
  '1.1.α',
  '1.1.β',
  '1.1.αα',
  '1.1.ββ',
  '1.2.ββ',
  '0:1.2.ββ',
  '1.m+e2:1',
  '4.m+e1:1',
  '1.module+el9.4.0+23026+aaa2e3cb.2.noarch.rpm-nginx:1',
  '4.module+el9.5.0+22954+e2d70a1c.1.noarch.rpm-nginx:1',
  '1.m+el9.4.0+2.na.r-n:1',
  '4.m+el9.5.0+1.na.r-n:1',
  '4.0+2.na.r-n:1',
  '5.0+1.na.r-n:1',
  '0+2.na.r-n:1',
  '0+1.na.r-n:1',
  '0+2-n:1',
  '0+1-n:1',
  '0+-n:1',
  '+2-n:1',
  '+1-n:1',
  '+2-:1',
  '+1-:1',
  '+2-',
  '+1-',
  '+2-:',
  '+1-:',
];

describe('rpm versions: osv-scalibr vectors', () => {
  it('agree with every line of redhat-versions.txt whose versions are RPM versions', () => {
    const cases = readVersionVectors(sharedData('version-compare', 'osv-scalibr', 'redhat-versions.txt'));
    const rejected = new Set<string>();
    const wrong: string[] = [];
    let compared = 0;
    for (const c of cases) {
      if (!rpm.isValid(c.a)) rejected.add(c.a);
      if (!rpm.isValid(c.b)) rejected.add(c.b);
      if (rpm.isValid(c.a) && rpm.isValid(c.b)) {
        compared++;
        if (rpm.compare(c.a, c.b) !== c.expected) wrong.push(`line ${c.line}: ${c.a} vs ${c.b}`);
      }
    }
    expect(wrong).toEqual([]);
    expect([...rejected].sort()).toEqual([...REFUSED_VECTOR_VERSIONS].sort());
    expect(compared).toBeGreaterThan(100);
  });
});

// Inputs biased toward rpmvercmp's corners: tildes and carets, separators that do not matter,
// letters against digits, leading zeros, epochs, missing against present releases.
const DIGITS = ['0', '1', '2', '9', '10', '00', '01', '010', '99', '100'];
const WORDS = ['a', 'b', 'z', 'A', 'Z', 'rc', 'beta', 'git', 'el', 'fc', 'module', 'svn'];
const SEPARATORS = ['.', '.', '_', '+', '~', '^', '..', '.~', '~~', '^.'];

function piece(rng: Rng): string {
  const r = rng.next();
  if (r < 0.45) return rng.chance(0.15) ? String(rng.int(1_000_000)) : rng.pick(DIGITS);
  if (r < 0.7) return rng.pick(WORDS);
  return rng.pick(SEPARATORS);
}

function field(rng: Rng): string {
  let s = rng.chance(0.85) ? rng.pick(DIGITS) : rng.pick(WORDS);
  for (let n = rng.int(6); n > 0; n--) s += piece(rng);
  return s;
}

function genRpm(rng: Rng): string {
  const epoch = rng.chance(0.3) ? `${rng.pick(['0', '1', '2', '00', '01', '10'])}:` : '';
  return epoch + field(rng) + (rng.chance(0.6) ? `-${field(rng)}` : '');
}

function mutate(rng: Rng, v: string): string {
  switch (rng.int(11)) {
    case 0:
      return v + rng.pick(['~', '^', '^git1', '~rc1', '.0', 'a', '0', '.', '-1', '-0', '_1']);
    case 1:
      return v.replace(/\d+/, (d) => `0${d}`);
    case 2:
      return /^\d+:/.test(v) ? v.slice(v.indexOf(':') + 1) : `0:${v}`;
    case 3: {
      const i = rng.int(v.length);
      return v.slice(0, i) + piece(rng) + v.slice(i + 1);
    }
    case 4:
      return v.slice(0, Math.max(1, v.length - 1));
    case 5:
      return v.replace(/[._+]/, () => rng.pick(['.', '_', '+', '']));
    case 6:
      return v.includes('-') ? v.slice(0, v.lastIndexOf('-')) : `${v}-1`;
    case 7:
      return v.replace(/\d(?=\D*$)/, (d) => String((Number(d) + 1) % 10));
    case 8:
      // Strings rpm would still order but that are not RPM versions.
      return rng.pick([`${v}-`, `:${v}`, `a:${v}`, `${v} `, `${v}:1`, '+', `${v}-1-2`]);
    default:
      return v;
  }
}

describe('rpm versions: agreement with rpm.vercmp', () => {
  it('orders 12,000 generated pairs as rpm 4.18 does', () => {
    const rng = new Rng(0x59_4e_0001);
    const valid: [string, string][] = [];
    let refused = 0;
    for (let i = 0; i < 12_000; i++) {
      const a = genRpm(rng);
      const b = rng.chance(0.6) ? mutate(rng, rng.chance(0.3) ? mutate(rng, a) : a) : genRpm(rng);
      if (rpm.isValid(a) && rpm.isValid(b)) {
        valid.push(rng.chance(0.5) ? [a, b] : [b, a]);
      } else {
        refused++;
        expect(() => rpm.compare(a, b)).toThrow(VersionError);
      }
    }
    const oracle = rpmOracle(valid);
    const disagreements: string[] = [];
    valid.forEach(([a, b], i) => {
      const ours = rpm.compare(a, b);
      if (ours !== oracle[i]) disagreements.push(`${a} vs ${b}: rpm ${oracle[i] ?? 'refused'}, ours ${ours}`);
      // The field-wise helper agrees with the string form.
      if (compareRpmEvr(parseRpmEvr(a), parseRpmEvr(b)) !== ours)
        disagreements.push(`fields of ${a} vs ${b}`);
    });
    expect(disagreements).toEqual([]);
    expect(valid.length).toBeGreaterThanOrEqual(10_000);
    expect(refused).toBeGreaterThan(100);
  });
});

describe('rpm versions: every short string over a small alphabet', () => {
  it('orders every valid string of up to four pieces against tricky pivots as rpm does', () => {
    const pieces = ['1', '0', '01', 'a', 'Z', '.', '_', '+', '~', '^', '-', ':'];
    const strings: string[] = [];
    const extend = (s: string, depth: number): void => {
      if (rpm.isValid(s)) strings.push(s);
      if (depth > 0) for (const p of pieces) extend(s + p, depth - 1);
    };
    extend('', 4);
    const pivots = ['1', '1.0', '1~', '1^', '1a', '0:1-1', '1:0', '1-0~'];
    const input = strings.flatMap((s) => pivots.map((p) => [s, p] as const));
    const oracle = rpmOracle(input);
    const disagreements = input
      .filter(([s, p], i) => rpm.compare(s, p) !== oracle[i])
      .map(([s, p]) => `${s} vs ${p}`);
    expect(disagreements).toEqual([]);
    expect(strings.length).toBeGreaterThan(5_000);
  });
});

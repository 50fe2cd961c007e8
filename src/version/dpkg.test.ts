import { describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { dpkgBinaryOracle, dpkgPerlOracle, readVersionVectors, Rng } from '../testing/version-oracles.js';
import { dpkg, parseDpkgVersion } from './dpkg.js';
import { VersionError } from './scheme.js';

function expectInvalid(version: string): void {
  expect(dpkg.isValid(version)).toBe(false);
  expect(() => dpkg.compare(version, '1.0')).toThrow(VersionError);
  expect(() => dpkg.compare('1.0', version)).toThrow(/invalid dpkg version/);
}

describe('dpkg versions: parsing', () => {
  it.each([
    ['1.0', { epoch: 0, upstream: '1.0', revision: undefined }],
    ['1:2.30-1', { epoch: 1, upstream: '2.30', revision: '1' }],
    ['2.30-1-2', { epoch: 0, upstream: '2.30-1', revision: '2' }],
    ['1:2:3-4', { epoch: 1, upstream: '2:3', revision: '4' }],
    ['0:1.0+dfsg~rc1-0ubuntu1.1', { epoch: 0, upstream: '1.0+dfsg~rc1', revision: '0ubuntu1.1' }],
    ['2147483647:1', { epoch: 2147483647, upstream: '1', revision: undefined }],
  ])('splits %s into epoch, upstream and revision', (input, parts) => {
    expect(parseDpkgVersion(input)).toEqual(parts);
    expect(dpkg.isValid(input)).toBe(true);
  });

  it.each([
    ['', 'empty'],
    [':1.0', 'empty epoch'],
    ['a:1.0', 'epoch not a number'],
    ['+1:1.0', 'signed epoch (dpkg reads it with strtol; we do not)'],
    ['2147483648:1.0', 'epoch above INT_MAX'],
    ['1:', 'nothing after the colon'],
    ['1.0-', 'empty revision'],
    ['-1', 'empty upstream'],
    ['a1.0', 'upstream starting with a letter'],
    ['~1', 'upstream starting with a tilde'],
    ['1.0_1', 'underscore'],
    ['1.0 1', 'embedded space'],
    [' 1.0', 'leading space (dpkg trims it; we refuse it)'],
    ['1:1.0-1:2', 'colon in the revision'],
    ['1.0-a-', 'empty revision after the last hyphen'],
    ['1.0\u0000', 'NUL'],
    ['1.é', 'non-ASCII letter'],
    [`1.${'0'.repeat(300)}`, 'longer than 256 characters'],
  ])('refuses %j (%s)', (input) => {
    expectInvalid(input);
  });
});

describe('dpkg versions: ordering (Debian Policy 5.6.12)', () => {
  // Each row is sorted ascending; neighbours compare as the operator between them says.
  it.each([
    // Policy's own example: "~~" < "~~a" < "~" < (nothing) < "a".
    [['1.0~~', '1.0~~a', '1.0~', '1.0', '1.0a']],
    [['1.0~rc1', '1.0', '1.0+b1', '1.0.1', '1.1']],
    // Letters sort before non-letters, each class in ASCII order.
    [['1.0A', '1.0Z', '1.0a', '1.0z', '1.0+', '1.0.']],
    // Digit runs compare numerically, whatever their length.
    [['1.9', '1.10', '1.99', '1.100', `1.${'9'.repeat(40)}`, `1.1${'0'.repeat(40)}`]],
    // The epoch outranks everything else.
    [['9.9-9', '1:0.1', '1:0.2', '2:0']],
    // Revisions order after upstream; a missing revision is "0".
    [['1.0-0~1', '1.0', '1.0-1', '1.0-1+deb12u1', '1.0-1.1', '1.0-2', '1.0-10']],
    [['1.2.3-1~deb7u1', '1.2.3-1']],
    [['2.7.4+reloaded2-13ubuntu1', '2.7.4+reloaded2-13+deb9u1']],
  ])('sorts %j', (sorted) => {
    for (let i = 0; i + 1 < sorted.length; i++) {
      const a = sorted[i] ?? '';
      const b = sorted[i + 1] ?? '';
      expect(dpkg.compare(a, b), `${a} < ${b}`).toBeLessThan(0);
      expect(dpkg.compare(b, a), `${b} > ${a}`).toBeGreaterThan(0);
    }
  });

  it.each([
    ['1.0', '1.0-0'],
    ['1.0', '1.0-00'],
    ['1.0', '0:1.0'],
    ['00:1.0', '0:1.0'],
    ['1.01', '1.1'],
    ['1.0-01', '1.0-1'],
    ['1.000', '1.0'],
  ])('treats %s and %s as the same version', (a, b) => {
    expect(dpkg.compare(a, b)).toBe(0);
    expect(dpkg.compare(b, a)).toBe(0);
  });

  it('returns -1, 0 or 1', () => {
    expect(dpkg.compare('1.0a', '1.0z')).toBe(-1);
    expect(dpkg.compare('1.0z', '1.0a')).toBe(1);
  });
});

describe('dpkg versions: osv-scalibr vectors', () => {
  it.each(['debian-versions.txt', 'debian-versions-generated.txt'])('agree with every line of %s', (file) => {
    const cases = readVersionVectors(sharedData('version-compare', 'osv-scalibr', file));
    expect(cases.length).toBeGreaterThan(10);
    const wrong = cases.filter((c) => Math.sign(dpkg.compare(c.a, c.b)) !== c.expected);
    expect(wrong).toEqual([]);
  });
});

// Inputs biased toward what makes dpkg orderings tricky: epochs, tildes, letters against other
// characters, leading zeros, missing against zero revisions, near-equal pairs.
const DIGITS = ['0', '1', '2', '9', '10', '00', '01', '010', '99', '100', '0000'];
const WORDS = ['a', 'b', 'z', 'A', 'Z', 'rc', 'beta', 'dfsg', 'ubuntu', 'deb', 'git', 'bpo'];
const SEPARATORS = ['.', '+', '~', '~~', '.', '+~', '~.'];

function piece(rng: Rng): string {
  const r = rng.next();
  if (r < 0.45) return rng.chance(0.1) ? String(rng.int(10000)) : rng.pick(DIGITS);
  if (r < 0.7) return rng.pick(WORDS);
  return rng.pick(SEPARATORS);
}

function fragment(rng: Rng, leadingDigit: boolean): string {
  let s = leadingDigit ? rng.pick(DIGITS) : piece(rng);
  const n = rng.int(6);
  for (let i = 0; i < n; i++) s += piece(rng);
  return s;
}

function genDpkg(rng: Rng): string {
  const epoch = rng.chance(0.3) ? `${rng.pick(['0', '1', '2', '01', '10', '00'])}:` : '';
  let upstream = fragment(rng, true);
  // A hyphen inside the upstream part needs a revision; a colon needs an epoch.
  const revision = rng.chance(0.55) ? `-${fragment(rng, rng.chance(0.7))}` : '';
  if (revision !== '' && rng.chance(0.1)) upstream += `-${fragment(rng, false)}`;
  if (epoch !== '' && rng.chance(0.05)) upstream += `:${fragment(rng, true)}`;
  return epoch + upstream + revision;
}

function mutate(rng: Rng, v: string): string {
  switch (rng.int(12)) {
    case 0:
      return v + rng.pick(['~', '~rc1', '+b1', '.0', 'a', '0', '.', '~~', '-0', '-1']);
    case 1:
      return v.replace(/\d+/, (d) => `0${d}`);
    case 2:
      return v.includes(':') ? v.slice(v.indexOf(':') + 1) : `0:${v}`;
    case 3: {
      const i = rng.int(v.length);
      return v.slice(0, i) + piece(rng) + v.slice(i + 1);
    }
    case 4:
      return v.slice(0, Math.max(1, v.length - 1));
    case 5:
      return v.replace(/[a-z]/, (c) => c.toUpperCase());
    case 6:
      return v.replace(/~/, '');
    case 7:
      return v.replace(/\d(?=\D*$)/, (d) => String((Number(d) + 1) % 10));
    case 8:
      // Something dpkg refuses or warns about.
      return rng.pick([
        `a${v}`,
        `${v}_1`,
        `${v} `,
        `${v}-`,
        `:${v}`,
        `x:${v}`,
        `${v}!`,
        `~${v}`,
        `${v}-1:2`,
        `1:`,
      ]);
    default:
      return v;
  }
}

function pairs(seed: number, count: number): [string, string][] {
  const rng = new Rng(seed);
  const out: [string, string][] = [];
  for (let i = 0; i < count; i++) {
    const a = genDpkg(rng);
    const b = rng.chance(0.6) ? mutate(rng, rng.chance(0.3) ? mutate(rng, a) : a) : genDpkg(rng);
    out.push(rng.chance(0.5) ? [a, b] : [b, a]);
  }
  return out;
}

// Where Dpkg::Version (Perl) and dpkg's C parser disagree about validity we follow the C parser
// (what dpkg itself enforces), and these are the only differences allowed: the Perl module accepts
// a trailing epoch colon ("1:" parses as a version with no epoch), a colon in the revision, and
// epochs above INT_MAX.
function perlIsLaxer(v: string): boolean {
  const colon = v.indexOf(':');
  if (colon < 0) return false;
  return (
    colon === v.length - 1 ||
    v.slice(v.lastIndexOf('-') + 1).includes(':') ||
    Number(v.slice(0, colon)) > 2147483647
  );
}

describe('dpkg versions: agreement with Debian’s Dpkg::Version', () => {
  it('orders and validates 12,000 generated pairs as Dpkg::Version does', () => {
    const input = pairs(0x5eed_d9c6, 12_000);
    const oracle = dpkgPerlOracle(input);
    let compared = 0;
    const disagreements: string[] = [];
    // Dpkg::Version compares digit runs as Perl numbers, which lose precision past 2^53; dpkg's C
    // code (and ours) compares them exactly. Those pairs go to dpkg itself instead.
    const longRuns: [string, string][] = [];
    input.forEach(([a, b], i) => {
      if (/\d{16}/.test(a + b) && !/\s/.test(a + b)) {
        longRuns.push([a, b]);
        return;
      }
      const o = oracle[i];
      if (o === undefined) throw new Error('missing oracle answer');
      for (const [v, valid] of [
        [a, o.validA],
        [b, o.validB],
      ] as const) {
        if (dpkg.isValid(v) !== valid && !(valid && perlIsLaxer(v))) {
          disagreements.push(`validity of ${JSON.stringify(v)}: perl ${valid}`);
        }
      }
      if (dpkg.isValid(a) && dpkg.isValid(b)) {
        compared++;
        if (dpkg.compare(a, b) !== o.cmp) disagreements.push(`${a} vs ${b}: perl ${o.cmp}`);
      }
    });
    const binary = dpkgBinaryOracle(longRuns);
    binary.forEach((o, i) => {
      const [a, b] = longRuns[i] ?? ['', ''];
      const valid = dpkg.isValid(a) && dpkg.isValid(b);
      if (valid === o.complained) disagreements.push(`${a} vs ${b}: dpkg complained=${o.complained}`);
      if (valid) {
        compared++;
        if (dpkg.compare(a, b) !== o.cmp) disagreements.push(`${a} vs ${b}: dpkg ${o.cmp}`);
      }
    });
    expect(longRuns.length).toBeGreaterThan(10);
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(10_000);
  });

  it('orders and validates 400 pairs as dpkg --compare-versions does, long digit runs included', () => {
    const rng = new Rng(0xd9c6_0001);
    const input = pairs(0xd9c6_0002, 360).filter(([a, b]) => !/\s/.test(a + b));
    for (let i = 0; i < 40; i++) {
      // Beyond 2^64 the Perl module compares digit runs as floats; dpkg's C code compares them exactly.
      const long = `${rng.int(9) + 1}${'0123456789'.repeat(3).slice(rng.int(5))}`;
      input.push([`1.${long}`, `1.${long.slice(0, -1)}${rng.int(10)}`]);
    }
    const oracle = dpkgBinaryOracle(input);
    const disagreements: string[] = [];
    let compared = 0;
    input.forEach(([a, b], i) => {
      const o = oracle[i];
      if (o === undefined) throw new Error('missing oracle answer');
      const valid = dpkg.isValid(a) && dpkg.isValid(b);
      // dpkg warns (or fails) exactly when either side is invalid by our rules.
      if (valid === o.complained) disagreements.push(`${a} vs ${b}: dpkg complained=${o.complained}`);
      if (valid) {
        compared++;
        if (dpkg.compare(a, b) !== o.cmp) disagreements.push(`${a} vs ${b}: dpkg ${o.cmp}`);
      }
    });
    expect(disagreements).toEqual([]);
    expect(compared).toBeGreaterThan(250);
  });
});

describe('dpkg versions: every short string over a small alphabet', () => {
  it('validates and orders (against 1.0 and 1:1.0~a-1) every string of up to four pieces as Dpkg::Version does', () => {
    const pieces = ['1', '0', '01', 'a', 'Z', '.', '+', '~', '-', ':', '_', ' '];
    const strings: string[] = [];
    const extend = (s: string, depth: number): void => {
      strings.push(s);
      if (depth > 0) for (const p of pieces) extend(s + p, depth - 1);
    };
    extend('', 4);
    const pivots = ['1.0', '1:1.0~a-1'];
    const input = strings.flatMap((s) => pivots.map((p) => [s, p] as const));
    const oracle = dpkgPerlOracle(input);
    const disagreements: string[] = [];
    input.forEach(([s, p], i) => {
      const o = oracle[i];
      if (o === undefined) throw new Error('missing oracle answer');
      if (dpkg.isValid(s) !== o.validA && !(o.validA && perlIsLaxer(s))) {
        disagreements.push(`validity of ${JSON.stringify(s)}: perl ${o.validA}`);
      } else if (dpkg.isValid(s) && dpkg.compare(s, p) !== o.cmp) disagreements.push(`${s} vs ${p}`);
    });
    expect(disagreements).toEqual([]);
    expect(strings.length).toBeGreaterThan(20_000);
  });
});

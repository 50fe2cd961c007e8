import { describe, expect, it } from 'vitest';
import { goSemverOracle } from '../testing/go-semver-oracle.js';
import { Rng } from '../testing/version-oracles.js';
import { go } from './go.js';
import { VersionError } from './scheme.js';

function expectAscending(sorted: readonly string[]): void {
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i] ?? '';
    const b = sorted[i + 1] ?? '';
    expect(go.compare(a, b), `${a} < ${b}`).toBe(-1);
    expect(go.compare(b, a), `${b} > ${a}`).toBe(1);
  }
}

describe('go versions: module versions (https://go.dev/ref/mod#versions)', () => {
  it.each([
    // Pseudo-versions (ref/mod#pseudo-versions): each form is a pre-release of the version it
    // precedes, ordered by its timestamp, and above the release it is based on.
    [['v0.0.0-20191109021931-daa7c04131f5', 'v0.0.0-20200101000000-000000000000', 'v0.0.0', 'v0.1.0']],
    [
      [
        'v1.2.3',
        'v1.2.4-0.20191109021931-daa7c04131f5',
        'v1.2.4-0.20200101000000-000000000000',
        'v1.2.4-rc.1',
        'v1.2.4',
      ],
    ],
    [['v1.2.3-pre', 'v1.2.3-pre.0.20191109021931-daa7c04131f5', 'v1.2.3-pre.1', 'v1.2.3']],
    // +incompatible (ref/mod#incompatible-versions) is build metadata: it sorts as the plain version.
    [['v1.9.9', 'v2.0.0+incompatible', 'v2.0.1+incompatible', 'v4.1.2+incompatible', 'v4.1.3']],
    [['v1.0.0-alpha', 'v1.0.0-alpha.1', 'v1.0.0-beta.2', 'v1.0.0-beta.11', 'v1.0.0']],
    [['v1', 'v1.0.1', 'v1.1', 'v1.1.1', 'v2']],
    [[`v1.${'9'.repeat(30)}.0`, `v1.1${'0'.repeat(30)}.0`]],
  ])('sorts %j', (sorted) => {
    expectAscending(sorted);
  });

  it.each([
    ['v2.0.0+incompatible', 'v2.0.0'],
    ['v1.0.0+build.1', 'v1.0.0+build.2'],
    ['v1', 'v1.0.0'],
    ['v1.2', 'v1.2.0'],
  ])('%s = %s', (a, b) => {
    expect(go.compare(a, b)).toBe(0);
  });
});

describe('go versions: toolchain versions (https://go.dev/doc/toolchain#version)', () => {
  it.each([
    // The toolchain document's own order from Go 1.21 on: the language version first.
    [
      [
        'go1.21',
        'go1.21rc1',
        'go1.21rc2',
        'go1.21.0',
        'go1.21.1',
        'go1.21.2',
        'go1.22rc1',
        'go1.22rc2',
        'go1.22.0',
      ],
    ],
    // Before 1.21 the first release of a minor was 1.N itself.
    [['go1.9beta2', 'go1.9rc1', 'go1.9', 'go1.9.1', 'go1.10beta1', 'go1.10']],
    [['go1.20rc1', 'go1.20', 'go1.20.1', 'go1.21rc1']],
    [['1.21', '1.21rc1', '1.21.0']],
    [['go1.21alpha1', 'go1.21beta1', 'go1.21rc']],
  ])('sorts %j', (sorted) => {
    expectAscending(sorted);
  });

  it.each([
    ['go1.21.3', '1.21.3', 'the go prefix is optional'],
    ['go1.20', 'go1.20.0', 'before 1.21, 1.N is the first release'],
    ['go1', 'go1.0.0', 'a missing minor is 0'],
    ['go1.21.3', 'v1.21.3', 'a toolchain release is the module-style version of the same numbers'],
    [
      'go1.21rc2',
      'v1.21.0-rc.2',
      'a release candidate is the pre-release the Go vulnerability database uses',
    ],
    ['go1.9beta2', 'v1.9.0-beta.2', 'so is a beta'],
  ])('%s = %s (%s)', (a, b) => {
    expect(go.compare(a, b)).toBe(0);
  });

  it('puts a language version from 1.21 on below every pre-release of its .0 release', () => {
    expect(go.compare('go1.21', 'v1.21.0-0')).toBe(0);
    expect(go.compare('go1.21', 'v1.21.0-0.20230101000000-abcdefabcdef')).toBe(-1);
    expect(go.compare('go1.21', 'go1.20.14')).toBe(1);
  });
});

describe('go versions: what is not a version', () => {
  it.each([
    ['', 'empty'],
    ['v1.2-pre', 'a pre-release on a shorthand (x/mod/semver refuses it)'],
    ['v1.2.3.4', 'a fourth number'],
    ['v01.2.3', 'leading zero'],
    ['v1.2.3-01', 'leading zero in a numeric pre-release identifier'],
    ['V1.2.3', 'capital V'],
    ['1.2.3-rc.1', 'a semver pre-release without v (not a module version, not a toolchain version)'],
    ['0.0.0-20191109021931-daa7c04131f5', 'a pseudo-version without v'],
    ['go1.21.1rc1', 'a pre-release of a patch release (Go never made one and refuses them)'],
    ['go1.21rc01', 'leading zero in the pre-release number'],
    ['go1.21RC1', 'capital RC'],
    ['go1.21pre1', 'an unknown pre-release kind'],
    ['go1rc1', 'a pre-release without a minor'],
    ['go', 'no number'],
    ['gov1.2.3', 'go and v together'],
    ['devel go1.22-abcdef', 'a development build'],
    ['go1.21.3 ', 'trailing space'],
    [`v1.0.0-${'a'.repeat(250)}`, 'longer than 256 characters'],
  ])('refuses %j (%s)', (input) => {
    expect(go.isValid(input)).toBe(false);
    expect(() => go.compare(input, 'v1.0.0')).toThrow(VersionError);
    expect(() => go.compare('v1.0.0', input)).toThrow(/invalid go version/);
  });
});

// Module versions as Go writes them, with the hard cases over-represented: pseudo-versions of all
// three forms, +incompatible, shorthands, and malformed neighbours of each.
const TIMESTAMPS = ['20191109021931', '20191109021932', '20200101000000', '20230615120000'];
const HASHES = ['daa7c04131f5', '000000000000', 'abcdefabcdef'];
const PRE_IDS = ['alpha', 'beta', 'rc', '0', '1', '2', '10', 'rc1', 'x-y', '-', 'A', 'pre'];

function moduleVersion(rng: Rng): string {
  const n = (): string => rng.pick(['0', '1', '2', '3', '10', '11', rng.chance(0.02) ? '01' : '4']);
  const r = rng.next();
  if (r < 0.05) return `v${n()}`;
  if (r < 0.1) return `v${n()}.${n()}`;
  let v = `v${n()}.${n()}.${n()}`;
  const pseudo = `${rng.pick(TIMESTAMPS)}-${rng.pick(HASHES)}`;
  const p = rng.next();
  if (p < 0.2) v = `v0.0.0-${pseudo}`;
  else if (p < 0.35) v += `-0.${pseudo}`;
  else if (p < 0.5) v += `-${rng.pick(PRE_IDS)}.0.${pseudo}`;
  else if (p < 0.75) v += `-${Array.from({ length: 1 + rng.int(3) }, () => rng.pick(PRE_IDS)).join('.')}`;
  if (rng.chance(0.15)) v += rng.pick(['+incompatible', '+build.1', '+']);
  if (rng.chance(0.03)) v = rng.pick([v.slice(1), v.toUpperCase(), `${v}.`, `${v}-`]);
  return v;
}

describe('go versions: agreement with golang.org/x/mod/semver (vendored in GOROOT)', () => {
  it('validates and orders generated module versions as the go command does', () => {
    const rng = new Rng(0x90);
    const pool = Array.from({ length: 500 }, () => moduleVersion(rng));
    // A third of the pairs differ only in build metadata or in how much of the shorthand is spelled.
    const variant = (v: string): string =>
      v.includes('+')
        ? v.slice(0, v.indexOf('+'))
        : /^v\d+(\.\d+)?$/.test(v)
          ? `${v}.0`
          : `${v}+incompatible`;
    const pairs = Array.from({ length: 6000 }, (): [string, string] => {
      const a = rng.pick(pool);
      return [a, rng.chance(0.33) ? variant(a) : rng.pick(pool)];
    });
    const answers = goSemverOracle(pairs);
    const differ: string[] = [];
    let ordered = 0;
    pairs.forEach(([a, b], i) => {
      const o = answers[i];
      if (o === undefined) throw new Error('missing answer');
      // Without `v` a string is never a module version (x/mod refuses it); here it may still be
      // a toolchain version, which the tables above cover.
      const validity = (v: string): boolean => v.startsWith('v') && go.isValid(v);
      if (validity(a) !== o.validA || validity(b) !== o.validB) differ.push(`validity ${a} ${b}`);
      else if (o.validA && o.validB) {
        ordered++;
        if (go.compare(a, b) !== o.cmp) differ.push(`${a} vs ${b}: go says ${o.cmp}`);
      }
    });
    expect(differ).toEqual([]);
    expect(ordered).toBeGreaterThan(5000);
  });
});

import { describe, expect, it } from 'vitest';
import { allSchemes } from './registry.js';
import { VersionError } from './scheme.js';
import type { SchemeId, VersionScheme } from './scheme.js';

// Every registered scheme must be a total preorder on its valid versions and must refuse
// garbage (STYLE.md section 5). The samples mix ordinary versions with each scheme's corners and
// with the same version written two ways, so equality is exercised too. A new SchemeId does not
// compile until it has samples here.
const SAMPLES: Record<SchemeId, readonly string[]> = {
  dpkg: [
    ...['0', '1.0', '1.0-1', '1:0.9', '1.0~rc1', '1.0~~', '1.0+dfsg-2', '1.0-1~bpo1', '2.30-1ubuntu1'],
    ...['1.01', '1.1', '0:1.0-0', '10', '1.0a', '1.0A', '1.0.', '3:1', '1.2.3-4+deb12u1', '1:2:3-4'],
  ],
  apk: [
    ...['0', '1.0', '1.0-r1', '1.0_rc1', '1.0_p1', '1.0a', '1.0.1', '01.0', '1.00', '1.05', '1.5', '1.0~abc'],
    ...['2.4.32-r0', '1.0_alpha_beta', '1.0_alpha', '6.6.2p1', '1.0_git20240101-r3', '1.0-r01'],
  ],
  rpm: [
    ...['1.0', '1.0-1', '1:0.5', '0:1.0', '1.0~rc1', '1.0^git1', '1.0^', '1.0-1.el9', '1.0_1', '1.a', '1.01'],
    ...['2.0-0.1.rc1.fc40', 'a', '1.0.0', '10', '1.0~rc1^git1', '1.0-0'],
  ],
  pep440: [
    ...['1.0', '1', '1.0.0', 'v1.0', '1.0a1', '1.0alpha1', '1.0b2', '1.0rc1', '1.0c1', '1.0.post1', '1.0-1'],
    ...['1.0.dev1', '1.0a1.dev1', '1.0+local.1', '1.0+1', '1!0.5', '2.0', '1.0.post1.dev2', '1.0.dev0'],
  ],
  semver: [
    ...[
      '0.0.1',
      '1.0.0',
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
    ],
    ...['1.0.0-rc.1', '1.0.0+build.1', '1.0.0+build.2', '1.2.3', '10.0.0', '2.0.0-0', 'v1.2.3', '1.0.0-1'],
  ],
  go: [
    ...['v0.0.0-20191109021931-daa7c04131f5', 'v1.0.0', 'v1', 'v1.2', 'v1.2.0', 'v1.2.3-pre', 'v2.0.0'],
    ...['v1.2.3+incompatible', 'v1.2.3', 'go1.21', '1.21rc2', '1.21.0', 'go1.20', '1.9beta2', 'v1.21.0-rc.2'],
  ],
  maven: [
    ...[
      '1',
      '1.0',
      '1.0.0',
      '1-alpha-1',
      '1.0-SNAPSHOT',
      '1.0-rc1',
      '1.0-sp1',
      '1.0.1',
      '1-beta',
      '1.0-final',
    ],
    ...['1.0-ga', '2.0', '1.0-milestone-1', '1.0-xyz', '1.0.0.1', '1.0-alpha', '1.0-RC1'],
  ],
  rubygems: [
    ...['1', '1.0', '1.0.0', '1.0.a', '1.0.0.pre', '1.0.0.rc1', '1.0.1', '1.a', '2', '1.0.0.beta2'],
    ...['0.9.9', '10.0', '1.0.0.1', '1.0.0-rc1'],
  ],
  composer: [
    ...['1.0.0', 'v1.0', '1.0-beta2', '1.0.0-RC1', '1.0.0-alpha1', '1.0.0-patch1', '1.2.3.4', '1.0-dev'],
    ...['2.0.0', '1.0.1', '1.0', '0.1.0', '1.0.0-beta1'],
  ],
  nuget: [
    ...['1.0', '1.0.0', '1.0.0.0', '1.0.0-alpha', '1.0.0-Alpha', '1.0.0-beta.1', '1.0.0+meta', '1.01'],
    ...['2.0.0', '1.0.0.1', '1.0.0-rc.1', '1.0.0-beta.2', '1.0.0-beta.11'],
  ],
  crates: [
    ...['0.1.0', '1.0.0', '1.0.0-alpha', '1.0.0-alpha.1', '1.0.0+build', '1.0.1', '2.0.0-rc.1', '0.0.1'],
    ...['10.0.0', '1.0.0-beta', '1.0.0-0'],
  ],
};

const LONG = `${'1.'.repeat(200)}1`;
const GARBAGE = ['', '\u0000', 'not a version!', LONG, `1.0${' '.repeat(300)}`];

// Garbage a scheme genuinely accepts, by scheme. None does today.
const ACCEPTED_GARBAGE: Partial<Record<SchemeId, readonly string[]>> = {};

function sign(n: number): number {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function samplesOf(scheme: VersionScheme): readonly string[] {
  return SAMPLES[scheme.id];
}

const schemes = allSchemes();

describe('every version scheme', () => {
  it('is registered once per id, with samples', () => {
    const ids = schemes.map((s) => s.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of schemes) expect(samplesOf(s).length, s.id).toBeGreaterThanOrEqual(10);
  });

  describe.each(schemes.map((s) => [s.id, s] as const))('%s', (_id, scheme) => {
    const samples = samplesOf(scheme);

    it('accepts all of its samples', () => {
      expect(samples.filter((v) => !scheme.isValid(v))).toEqual([]);
    });

    it('is reflexive: every version equals itself', () => {
      for (const v of samples) expect(scheme.compare(v, v), v).toBe(0);
    });

    it('is antisymmetric: swapping the sides flips the sign', () => {
      for (const a of samples) {
        for (const b of samples) {
          expect(sign(scheme.compare(a, b)) + sign(scheme.compare(b, a)), `${a} vs ${b}`).toBe(0);
        }
      }
    });

    it('is transitive: a ≤ b and b ≤ c give a ≤ c, with equality carried along', () => {
      const sorted = [...samples].sort((a, b) => scheme.compare(a, b));
      for (let i = 0; i < sorted.length; i++) {
        for (let j = i; j < sorted.length; j++) {
          for (let k = j; k < sorted.length; k++) {
            const a = sorted[i] ?? '';
            const b = sorted[j] ?? '';
            const c = sorted[k] ?? '';
            const ab = sign(scheme.compare(a, b));
            const bc = sign(scheme.compare(b, c));
            const ac = sign(scheme.compare(a, c));
            expect(ab, `${a} ≤ ${b} in sorted order`).toBeLessThanOrEqual(0);
            if (ab === 0 && bc === 0) expect(ac, `${a} = ${b} = ${c}`).toBe(0);
            else expect(ac, `${a} ≤ ${b} ≤ ${c}`).toBe(-1);
          }
        }
      }
    });

    it('refuses garbage with VERSION_INVALID, whichever side it is on', () => {
      const accepted = ACCEPTED_GARBAGE[scheme.id] ?? [];
      const valid = samples[0] ?? '';
      for (const g of GARBAGE) {
        if (accepted.includes(g)) {
          expect(scheme.isValid(g), JSON.stringify(g)).toBe(true);
          continue;
        }
        expect(scheme.isValid(g), JSON.stringify(g)).toBe(false);
        for (const call of [
          () => scheme.compare(g, valid),
          () => scheme.compare(valid, g),
          () => scheme.compare(g, g),
        ]) {
          let thrown: unknown;
          try {
            call();
          } catch (err) {
            thrown = err;
          }
          expect(thrown, JSON.stringify(g)).toBeInstanceOf(VersionError);
          expect((thrown as VersionError).code).toBe('VERSION_INVALID');
        }
      }
    });
  });
});

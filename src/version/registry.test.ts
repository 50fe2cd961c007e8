import { describe, expect, it } from 'vitest';
import { allSchemes, compareVersions, getScheme, VersionError } from './index.js';
import type { SchemeId } from './index.js';

// A record over the union, so a new SchemeId must be listed here too.
const IDS: Record<SchemeId, true> = {
  dpkg: true,
  apk: true,
  rpm: true,
  semver: true,
  pep440: true,
  go: true,
  maven: true,
  rubygems: true,
  composer: true,
  nuget: true,
  crates: true,
};

describe('the scheme registry', () => {
  it.each(Object.keys(IDS) as SchemeId[])('finds the %s scheme by its id', (id) => {
    expect(getScheme(id).id).toBe(id);
    expect(allSchemes()).toContain(getScheme(id));
  });

  it('lists every scheme exactly once', () => {
    expect(
      allSchemes()
        .map((s) => s.id)
        .sort(),
    ).toEqual(Object.keys(IDS).sort());
  });

  it('refuses an unknown id with SCHEME_UNKNOWN', () => {
    expect(() => getScheme('cobol' as SchemeId)).toThrow(VersionError);
    expect(() => getScheme('cobol' as SchemeId)).toThrow(/unknown version scheme "cobol"/);
    let thrown: unknown;
    try {
      compareVersions('cobol' as SchemeId, '1', '2');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(VersionError);
    expect((thrown as VersionError).code).toBe('SCHEME_UNKNOWN');
  });

  it.each([
    ['dpkg', '1.0~rc1', '1.0', -1],
    ['apk', '1.0_p1', '1.0', 1],
    ['rpm', '1:0.1', '2.0', 1],
    ['pep440', '1.0.0', 'v1.0', 0],
  ] as const)('compares %s versions by scheme id or by scheme: %s vs %s', (id, a, b, expected) => {
    expect(compareVersions(id, a, b)).toBe(expected);
    expect(compareVersions(getScheme(id), a, b)).toBe(expected);
  });

  it('passes invalid versions on as VERSION_INVALID', () => {
    expect(() => compareVersions('dpkg', 'not a version!', '1.0')).toThrow(
      /invalid dpkg version "not a version!"/,
    );
  });
});

// OSV range evaluation (https://ossf.github.io/osv-schema/#evaluation), case by case.
import { describe, expect, it } from 'vitest';
import { getScheme } from '../../version/index.js';
import type { OsvAffected, OsvEvent, OsvRange } from '../../vulndb/index.js';
import { isAffected } from './evaluate.js';

const semver = getScheme('semver');
const dpkg = getScheme('dpkg');

function eco(...events: OsvEvent[]): OsvRange {
  return { type: 'ECOSYSTEM', events };
}

function entry(ranges: OsvRange[], versions?: string[]): OsvAffected {
  return {
    package: { ecosystem: 'npm', name: 'left-pad' },
    ranges,
    ...(versions === undefined ? {} : { versions }),
  };
}

type Case = {
  readonly name: string;
  readonly affected: OsvAffected;
  readonly version: string;
  readonly want: boolean;
  readonly fixed?: string;
};

const CASES: readonly Case[] = [
  // introduced / fixed
  {
    name: 'introduced 0, below fixed',
    affected: entry([eco({ introduced: '0' }, { fixed: '1.2.0' })]),
    version: '1.1.9',
    want: true,
    fixed: '1.2.0',
  },
  {
    name: 'introduced 0, at fixed',
    affected: entry([eco({ introduced: '0' }, { fixed: '1.2.0' })]),
    version: '1.2.0',
    want: false,
  },
  {
    name: 'introduced 0, above fixed',
    affected: entry([eco({ introduced: '0' }, { fixed: '1.2.0' })]),
    version: '2.0.0',
    want: false,
  },
  {
    name: 'below introduced',
    affected: entry([eco({ introduced: '1.0.0' }, { fixed: '1.2.0' })]),
    version: '0.9.0',
    want: false,
  },
  {
    name: 'at introduced',
    affected: entry([eco({ introduced: '1.0.0' }, { fixed: '1.2.0' })]),
    version: '1.0.0',
    want: true,
    fixed: '1.2.0',
  },
  {
    name: 'pre-release below fixed',
    affected: entry([eco({ introduced: '0' }, { fixed: '1.2.0' })]),
    version: '1.2.0-rc.1',
    want: true,
    fixed: '1.2.0',
  },
  {
    name: 'introduced only: every later version',
    affected: entry([eco({ introduced: '1.0.0' })]),
    version: '99.0.0',
    want: true,
  },
  {
    name: 'introduced 0 only: every version',
    affected: entry([eco({ introduced: '0' })]),
    version: '0.0.1',
    want: true,
  },
  // last_affected
  {
    name: 'at last_affected',
    affected: entry([eco({ introduced: '0' }, { last_affected: '1.4.0' })]),
    version: '1.4.0',
    want: true,
  },
  {
    name: 'above last_affected',
    affected: entry([eco({ introduced: '0' }, { last_affected: '1.4.0' })]),
    version: '1.4.1',
    want: false,
  },
  {
    name: 'below last_affected, no fixed to report',
    affected: entry([eco({ introduced: '1.0.0' }, { last_affected: '1.4.0' })]),
    version: '1.3.0',
    want: true,
  },
  // limit
  {
    name: 'limit above the version',
    affected: entry([eco({ introduced: '0' }, { limit: '2.0.0' })]),
    version: '1.5.0',
    want: true,
  },
  {
    name: 'at limit',
    affected: entry([eco({ introduced: '0' }, { limit: '2.0.0' })]),
    version: '2.0.0',
    want: false,
  },
  {
    name: 'limit *',
    affected: entry([eco({ introduced: '0' }, { limit: '*' })]),
    version: '9.0.0',
    want: true,
  },
  {
    name: 'below one of two limits',
    affected: entry([eco({ introduced: '0' }, { limit: '1.0.0' }, { limit: '3.0.0' })]),
    version: '2.0.0',
    want: true,
  },
  // several events in one range, given out of order
  {
    name: 'second introduced after a fix (events unsorted)',
    affected: entry([
      eco({ fixed: '2.1.0' }, { introduced: '2.0.0' }, { fixed: '1.5.0' }, { introduced: '1.0.0' }),
    ]),
    version: '2.0.5',
    want: true,
    fixed: '2.1.0',
  },
  {
    name: 'between fix and reintroduction',
    affected: entry([
      eco({ introduced: '1.0.0' }, { fixed: '1.5.0' }, { introduced: '2.0.0' }, { fixed: '2.1.0' }),
    ]),
    version: '1.7.0',
    want: false,
  },
  {
    name: 'first window reports its own fix',
    affected: entry([
      eco({ introduced: '1.0.0' }, { fixed: '1.5.0' }, { introduced: '2.0.0' }, { fixed: '2.1.0' }),
    ]),
    version: '1.2.0',
    want: true,
    fixed: '1.5.0',
  },
  // several ranges
  {
    name: 'second range matches',
    affected: entry([
      eco({ introduced: '1.0.0' }, { fixed: '1.5.0' }),
      eco({ introduced: '3.0.0' }, { fixed: '3.2.0' }),
    ]),
    version: '3.1.0',
    want: true,
    fixed: '3.2.0',
  },
  {
    name: 'between ranges',
    affected: entry([
      eco({ introduced: '1.0.0' }, { fixed: '1.5.0' }),
      eco({ introduced: '3.0.0' }, { fixed: '3.2.0' }),
    ]),
    version: '2.0.0',
    want: false,
  },
  {
    name: 'overlapping ranges: the smallest fix above',
    affected: entry([
      eco({ introduced: '0' }, { fixed: '1.9.0' }),
      { type: 'SEMVER', events: [{ introduced: '1.0.0' }, { fixed: '1.6.0' }] },
    ]),
    version: '1.2.0',
    want: true,
    fixed: '1.6.0',
  },
  // versions lists
  {
    name: 'listed version without ranges',
    affected: entry([], ['1.0.0', '1.0.1']),
    version: '1.0.1',
    want: true,
  },
  {
    name: 'unlisted version without ranges',
    affected: entry([], ['1.0.0', '1.0.1']),
    version: '1.0.2',
    want: false,
  },
  {
    name: 'listed but outside the ranges',
    affected: entry([eco({ introduced: '2.0.0' })], ['1.0.0']),
    version: '1.0.0',
    want: true,
  },
  {
    name: 'listed version with the scheme equal spelling',
    affected: entry([], ['v1.0.0']),
    version: '1.0.0',
    want: true,
  },
  // GIT ranges
  {
    name: 'GIT range only: not affected by range',
    affected: entry([
      { type: 'GIT', repo: 'https://example.com/x.git', events: [{ introduced: '0' }, { fixed: 'abc123' }] },
    ]),
    version: '1.0.0',
    want: false,
  },
  {
    name: 'GIT range skipped, ECOSYSTEM range still evaluated',
    affected: entry([
      {
        type: 'GIT',
        repo: 'https://example.com/x.git',
        events: [{ introduced: 'deadbeef' }, { fixed: 'abc123' }],
      },
      eco({ introduced: '0' }, { fixed: '1.0.1' }),
    ]),
    version: '1.0.0',
    want: true,
    fixed: '1.0.1',
  },
  {
    name: 'GIT range with a versions list',
    affected: entry([{ type: 'GIT', events: [{ introduced: '0' }] }], ['1.0.0']),
    version: '1.0.0',
    want: true,
  },
];

describe('isAffected', () => {
  it.each(CASES)('$name', ({ affected, version, want, fixed }) => {
    const r = isAffected(affected, version, semver);
    expect(r.affected).toBe(want);
    expect(r.fixedVersion).toBe(fixed);
    expect(r.warnings).toEqual([]);
  });

  it('skips an event it cannot read with a warning and evaluates the rest', () => {
    const r = isAffected(
      entry([eco({ introduced: 'not-a-version' }, { introduced: '1.0.0' }, { fixed: '1.1.0' })]),
      '1.0.5',
      semver,
    );
    expect(r).toMatchObject({ affected: true, fixedVersion: '1.1.0' });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain('not-a-version');
  });

  it('skips an unreadable fixed event, leaving the range open', () => {
    const r = isAffected(entry([eco({ introduced: '0' }, { fixed: 'x.y' })]), '5.0.0', semver);
    expect(r.affected).toBe(true);
    expect(r.fixedVersion).toBeUndefined();
    expect(r.warnings).toHaveLength(1);
  });

  it('skips a range whose limit it cannot read', () => {
    const r = isAffected(
      entry([eco({ introduced: '0' }, { limit: '???' }), eco({ introduced: '3.0.0' })]),
      '1.0.0',
      semver,
    );
    expect(r.affected).toBe(false);
    expect(r.warnings).toHaveLength(1);
  });

  it('warns for an invalid installed version and still honours an exact versions list', () => {
    const r = isAffected(entry([eco({ introduced: '0' })], ['garbage']), 'garbage', semver);
    expect(r.affected).toBe(true);
    expect(r.warnings).toHaveLength(1);
    const r2 = isAffected(entry([eco({ introduced: '0' })]), 'garbage', semver);
    expect(r2.affected).toBe(false);
    expect(r2.warnings[0]).toContain('garbage');
  });

  it('orders by the ecosystem scheme (dpkg epochs and tildes)', () => {
    const deb = (events: OsvEvent[]): OsvAffected => ({
      package: { ecosystem: 'Debian:12', name: 'openssl' },
      ranges: [eco(...events)],
    });
    expect(
      isAffected(deb([{ introduced: '0' }, { fixed: '3.0.11-1~deb12u1' }]), '3.0.11-1~deb12u1', dpkg)
        .affected,
    ).toBe(false);
    expect(
      isAffected(deb([{ introduced: '0' }, { fixed: '3.0.11-1~deb12u1' }]), '3.0.9-1', dpkg).fixedVersion,
    ).toBe('3.0.11-1~deb12u1');
    expect(isAffected(deb([{ introduced: '0' }, { fixed: '1:2.0-1' }]), '3.0-1', dpkg).affected).toBe(true);
    expect(isAffected(deb([{ introduced: '0' }, { fixed: '2.36-9+deb12u1' }]), '2.36-9', dpkg).affected).toBe(
      true,
    );
  });

  it('reads Go database versions without their v', () => {
    const goEntry: OsvAffected = {
      package: { ecosystem: 'Go', name: 'golang.org/x/net' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.17.0' }] }],
    };
    const r = isAffected(goEntry, 'v0.15.0', getScheme('go'));
    expect(r).toEqual({ affected: true, fixedVersion: '0.17.0', warnings: [] });
    const pre: OsvAffected = {
      package: { ecosystem: 'Go', name: 'golang.org/x/net' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.17.0-rc.1' }] }],
    };
    expect(isAffected(pre, 'v0.16.9', getScheme('go'))).toEqual({
      affected: true,
      fixedVersion: 'v0.17.0-rc.1',
      warnings: [],
    });
    expect(isAffected(pre, 'v0.17.0', getScheme('go')).affected).toBe(false);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import { debianJsonFacts, debianTrackerJsonToOsv } from './debian-json.js';
import { FeedError } from './errors.js';

const base = sharedData('debian-tracker', 'vunnel');
const { records, skippedReleases } = debianTrackerJsonToOsv(
  JSON.parse(readFileSync(path.join(base, 'input', 'debian.json'), 'utf8')) as unknown,
);
const byId = new Map(records.map((r) => [r.id, r]));

/** vunnel's severity names for the tracker urgencies. */
const VUNNEL_SEVERITY: Record<string, string> = {
  unimportant: 'Negligible',
  low: 'Low',
  medium: 'Medium',
  high: 'High',
};

type Snapshot = {
  item: {
    Vulnerability: {
      Name: string;
      NamespaceName: string;
      Severity: string;
      FixedIn: { Name: string; Version: string; NamespaceName: string }[];
    };
  };
};

describe('Debian security tracker JSON', () => {
  it('converts the excerpt to one record per CVE', () => {
    expect(records.map((r) => r.id)).toEqual([
      'DEBIAN-CVE-2005-3111',
      'DEBIAN-CVE-2007-2383',
      'DEBIAN-CVE-2008-7220',
      'DEBIAN-CVE-2013-1444',
      'DEBIAN-CVE-2022-0358',
      'DEBIAN-CVE-2022-0456',
      'DEBIAN-CVE-2025-53603',
    ]);
    expect(skippedReleases).toEqual([]);
    // `"releases": []` (chromium-browser) is a CVE with no release entries.
    expect(byId.get('DEBIAN-CVE-2022-0358')?.affected).toEqual([]);
    expect(byId.get('DEBIAN-CVE-2025-53603')?.aliases).toEqual(['CVE-2025-53603']);
    expect(byId.get('DEBIAN-CVE-2025-53603')?.details).toMatch(/^In Alinto SOPE SOGo/);
  });

  it('reproduces vunnel’s per-release snapshots (package, fixed version or none, severity)', () => {
    let compared = 0;
    for (const dir of readdirSync(path.join(base, 'snapshots'))) {
      // debian:7 and CVE-2012-0833 come from vunnel's legacy input, not from the tracker JSON.
      if (dir === 'debian:7') continue;
      for (const file of readdirSync(path.join(base, 'snapshots', dir))) {
        const v = (JSON.parse(readFileSync(path.join(base, 'snapshots', dir, file), 'utf8')) as Snapshot).item
          .Vulnerability;
        if (v.Name === 'CVE-2012-0833') continue;
        const ecosystem = `Debian:${dir.slice('debian:'.length)}`;
        const entries = (byId.get(`DEBIAN-${v.Name}`)?.affected ?? []).filter(
          (a) => a.package?.ecosystem === ecosystem,
        );
        const got = entries.map((a) => {
          const fixed = a.ranges?.[0]?.events.find((e) => 'fixed' in e);
          const facts = a.database_specific ?? {};
          const version =
            fixed !== undefined && 'fixed' in fixed
              ? fixed.fixed
              : facts['portcullis_status'] === 'not_affected'
                ? '0'
                : 'None';
          return { Name: a.package?.name, Version: version };
        });
        expect(got, `${dir}/${file}`).toEqual(v.FixedIn.map((f) => ({ Name: f.Name, Version: f.Version })));
        const sev = entries[0]?.database_specific?.['portcullis_severity'];
        expect(typeof sev === 'string' ? VUNNEL_SEVERITY[sev] : 'Unknown', `${dir}/${file}`).toBe(v.Severity);
        compared++;
      }
    }
    expect(compared).toBe(25);
  });

  it('maps release states to statuses, keeping the raw word and the urgency', () => {
    const chromium = byId
      .get('DEBIAN-CVE-2022-0456')
      ?.affected?.find((a) => a.package?.ecosystem === 'Debian:10');
    expect(chromium).toEqual({
      package: { ecosystem: 'Debian:10', name: 'chromium' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
      database_specific: { portcullis_status: 'will_not_fix', portcullis_raw_status: 'end-of-life' },
    });
    const proto = byId
      .get('DEBIAN-CVE-2007-2383')
      ?.affected?.find((a) => a.package?.ecosystem === 'Debian:9');
    expect(proto?.database_specific).toEqual({
      portcullis_status: 'not_affected',
      portcullis_raw_status: '0',
      portcullis_severity: 'unimportant',
    });
    const table = [
      { status: 'resolved', fixed_version: '1.0-1', urgency: 'high**' },
      { status: 'open', urgency: 'low' },
      { status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: '' },
      { status: 'open', urgency: 'low', nodsa: 'Minor issue', nodsa_reason: 'ignored' },
      { status: 'open', urgency: 'low', nodsa: '', nodsa_reason: 'postponed' },
      { status: 'undetermined', urgency: 'not yet assigned' },
    ].map((r) => {
      const a = debianJsonFacts(r);
      return a === undefined ? undefined : [a.word ?? a.version, a.raw, a.severity, a.note];
    });
    expect(table).toEqual([
      ['1.0-1', 'resolved', 'high', undefined],
      ['unfixed', 'open', 'low', undefined],
      ['no-dsa', undefined, 'low', 'Minor issue'],
      ['ignored', undefined, 'low', 'Minor issue'],
      ['postponed', undefined, 'low', undefined],
      ['undetermined', undefined, undefined, undefined],
    ]);
    expect(debianJsonFacts({ status: 'weird' })).toBeUndefined();
  });

  it('skips releases it has no number for and rejects documents of another shape', () => {
    const r = debianTrackerJsonToOsv({
      foo: { 'CVE-2024-1': { releases: { experimental: { status: 'open', urgency: 'low' } } } },
    });
    expect(r.skippedReleases).toEqual(['experimental']);
    expect(r.records[0]?.affected).toEqual([]);
    expect(() => debianTrackerJsonToOsv([])).toThrow(FeedError);
    expect(() => debianTrackerJsonToOsv({ foo: { 'CVE-2024-1': {} } })).toThrow(/no releases object/);
  });
});

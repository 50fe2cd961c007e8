import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import type { OsvRecord } from '../osv.js';
import { debianEcosystem, debianStatus, parseDebianList } from './debian.js';
import { FeedError } from './errors.js';

const dsa = parseDebianList(readFileSync(sharedData('debian-tracker', 'DSA-list.txt'), 'utf8'), 'DSA/list');
const dla = parseDebianList(readFileSync(sharedData('debian-tracker', 'DLA-list.txt'), 'utf8'), 'DLA/list');

function find(records: readonly OsvRecord[], id: string): OsvRecord {
  const rec = records.find((r) => r.id === id);
  if (rec === undefined) throw new Error(`${id} not converted`);
  return rec;
}

/** `ecosystem name → fixed version or status`, the per-release facts a record carries. */
function perRelease(rec: OsvRecord): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of rec.affected ?? []) {
    const fixed = a.ranges?.[0]?.events.find((e) => 'fixed' in e);
    const status = String(a.database_specific?.['portcullis_status']);
    out[`${a.package?.ecosystem ?? ''} ${a.package?.name ?? ''}`] =
      fixed !== undefined && 'fixed' in fixed
        ? fixed.fixed
        : `${status} ${String(a.database_specific?.['portcullis_raw_status'])}`;
  }
  return out;
}

function statusCounts(records: readonly OsvRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const a of records.flatMap((r) => r.affected ?? [])) {
    const s = String(a.database_specific?.['portcullis_status']);
    counts[s] = (counts[s] ?? 0) + 1;
  }
  return counts;
}

describe('Debian security tracker DSA and DLA lists', () => {
  it('converts every advisory of the full lists', () => {
    // grep -c '^\[' counts the headers; grep -cP '^\s+\[[a-z]+\] - ' the per-release lines.
    expect(dsa.records.length).toBe(5406);
    expect(dla.records.length).toBe(3534);
    expect(dsa.records.flatMap((r) => r.affected ?? []).length).toBe(6988);
    expect(dla.records.flatMap((r) => r.affected ?? []).length).toBe(3535);
    expect(statusCounts(dsa.records)).toEqual({
      fixed: 6926,
      not_affected: 55,
      will_not_fix: 4,
      affected: 3,
    });
    expect(statusCounts(dla.records)).toEqual({ fixed: 3534, will_not_fix: 1 });
    expect(dsa.warnings).toEqual([]);
    expect(dla.warnings).toEqual([]);
    expect(new Set(dsa.records.map((r) => r.id)).size).toBe(5406);
    const ecosystems = new Set(
      dsa.records.flatMap((r) => (r.affected ?? []).map((a) => a.package?.ecosystem)),
    );
    expect([...ecosystems].sort()).toEqual(
      [
        'Debian:3.0',
        'Debian:3.1',
        'Debian:4',
        'Debian:5',
        'Debian:6',
        'Debian:7',
        'Debian:8',
        'Debian:9',
        'Debian:10',
        'Debian:11',
      ].sort(),
    );
  });

  it('keeps the date, the CVE list and the fixed version per release of a DSA', () => {
    const rec = find(dsa.records, 'DSA-5380-1');
    expect(rec).toEqual({
      id: 'DSA-5380-1',
      modified: '2023-03-29T00:00:00Z',
      published: '2023-03-29T00:00:00Z',
      summary: 'security update',
      aliases: ['CVE-2023-1393'],
      affected: [
        {
          package: { ecosystem: 'Debian:11', name: 'xorg-server' },
          ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2:1.20.11-1+deb11u6' }] }],
          database_specific: { portcullis_status: 'fixed' },
        },
      ],
      references: [{ type: 'ADVISORY', url: 'https://security-tracker.debian.org/tracker/DSA-5380-1' }],
      database_specific: { source: 'debian-dsa-list' },
    });
    const x = find(dsa.records, 'DSA-4000-1');
    expect(x.aliases?.length).toBe(14);
    expect(x.aliases).toContain('CVE-2017-13723');
    expect(perRelease(x)).toEqual({
      'Debian:8 xorg-server': '2:1.16.4-1+deb8u2',
      'Debian:9 xorg-server': '2:1.19.2-1+deb9u2',
    });
  });

  it('gives each source package of an advisory its own entry (DSA-140: libpng and libpng3 in woody)', () => {
    const rec = find(dsa.records, 'DSA-140');
    expect(rec.aliases).toEqual(['CVE-2002-0660', 'CVE-2002-0728']);
    expect(rec.published).toBe('2002-08-05T00:00:00Z');
    expect(perRelease(rec)).toEqual({
      'Debian:3.0 libpng': '1.0.12-3.woody.2',
      'Debian:3.0 libpng3': '1.2.1-1.1.woody.2',
    });
  });

  it('maps status words to normalized statuses and keeps the word and its note', () => {
    expect(perRelease(find(dsa.records, 'DSA-880-1'))).toEqual({
      'Debian:3.0 phpmyadmin': 'affected <unfixed>',
      'Debian:3.1 phpmyadmin': '4:2.6.2-3sarge1',
    });
    const oo = find(dsa.records, 'DSA-2275-1').affected?.find((a) => a.package?.ecosystem === 'Debian:5');
    expect(oo).toEqual({
      package: { ecosystem: 'Debian:5', name: 'openoffice.org' },
      database_specific: {
        portcullis_status: 'not_affected',
        portcullis_raw_status: '<not-affected>',
        note: 'Vulnerable code not present',
      },
    });
    const vbox = find(dsa.records, 'DSA-3699-1');
    expect(vbox.aliases).toEqual([]);
    expect(vbox.summary).toBe('end of life');
    expect(vbox.affected).toEqual([
      {
        package: { ecosystem: 'Debian:8', name: 'virtualbox' },
        ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }],
        database_specific: { portcullis_status: 'will_not_fix', portcullis_raw_status: '<end-of-life>' },
      },
    ]);
    expect(perRelease(find(dla.records, 'DLA-372-1'))).toEqual({
      'Debian:6 virtualbox-ose': 'will_not_fix <end-of-life>',
    });
    expect(
      [
        'unfixed',
        'not-affected',
        'no-dsa',
        'ignored',
        'postponed',
        'end-of-life',
        'undetermined',
        'fixed',
      ].map(debianStatus),
    ).toEqual([
      'affected',
      'not_affected',
      'will_not_fix',
      'will_not_fix',
      'affected',
      'will_not_fix',
      'under_investigation',
      undefined,
    ]);
  });

  it('stamps every record with a given modified time, keeping the advisory date as published', () => {
    const { records } = parseDebianList(
      '[29 Mar 2023] DSA-5380-1 xorg-server - security update\n',
      'DSA/list',
      {
        modified: '2024-05-01T10:00:00Z',
      },
    );
    expect(records.map((r) => [r.modified, r.published])).toEqual([
      ['2024-05-01T10:00:00Z', '2023-03-29T00:00:00Z'],
    ]);
  });

  it('reads DLAs and regression updates without a CVE list', () => {
    const rec = find(dla.records, 'DLA-2691-1');
    expect(rec.aliases).toEqual(['CVE-2021-40528']);
    expect(perRelease(rec)).toEqual({ 'Debian:9 libgcrypt20': '1.7.6-2+deb9u4' });
    expect(rec.database_specific).toEqual({ source: 'debian-dla-list' });
    expect(perRelease(find(dla.records, 'DLA-3193-2'))).toEqual({ 'Debian:10 joblib': '0.13.0-2+deb10u2' });
    // NOTE lines are comments, even when they quote a status word.
    const note = find(dsa.records, 'DSA-3714-1');
    expect(note.aliases).toEqual([]);
    expect(perRelease(note)).toEqual({ 'Debian:8 akonadi': '1.13.0-2+deb8u2' });
    expect(find(dsa.records, 'DSA-1605-1').affected).toEqual([]);
  });

  it('reads vunnel’s DSA input excerpt, including advisories without packages and newer releases', () => {
    const { records, warnings } = parseDebianList(
      readFileSync(sharedData('debian-tracker', 'vunnel', 'input', 'DSA'), 'utf8'),
    );
    expect(warnings).toEqual([]);
    expect(records.map((r) => [r.id, Object.entries(perRelease(r)).map(([k, v]) => `${k} ${v}`)])).toEqual([
      ['DSA-141', ['Debian:3.0 mpack 1.5-7woody2']],
      ['DSA-140', ['Debian:3.0 libpng 1.0.12-3.woody.2', 'Debian:3.0 libpng3 1.2.1-1.1.woody.2']],
      ['DSA-139', ['Debian:3.0 super 3.16.1-1.2']],
      ['DSA-138', ['Debian:3.0 gallery 1.2.5-7']],
      ['DSA-2819-1', []],
      ['DSA-2808-2', ['Debian:6 openjpeg 1.3+dfsg-4+squeeze3', 'Debian:7 openjpeg 1.3+dfsg-4.8']],
      ['DSA-3281-1', []],
      ['DSA-4205-1', []],
      ['DSA-4323-1', ['Debian:9 drupal7 7.52-2+deb9u5']],
      ['DSA-5970-1', ['Debian:12 sope 5.8.0-1+deb12u1']],
    ]);
    expect(find(records, 'DSA-5970-1').aliases).toEqual(['CVE-2025-53603']);
  });

  it('maps codenames to OSV release numbers', () => {
    expect(
      [
        'woody',
        'sarge',
        'etch',
        'squeeze',
        'wheezy',
        'buster',
        'bookworm',
        'trixie',
        'forky',
        'sid',
        'hamm',
      ].map(debianEcosystem),
    ).toEqual([
      'Debian:3.0',
      'Debian:3.1',
      'Debian:4',
      'Debian:6',
      'Debian:7',
      'Debian:10',
      'Debian:12',
      'Debian:13',
      'Debian:14',
      'Debian:unstable',
      'Debian:2.0',
    ]);
    expect(debianEcosystem('experimental')).toBeUndefined();
  });

  it('reports lines it cannot place and rejects text that is not a list', () => {
    const { records, warnings } = parseDebianList(
      '[01 Jan 2024] DSA-9999-1 foo - security update\n\t{CVE-2024-0001}\n\t[hurd] - foo 1.0-1\n\t[bookworm] - foo <weird>\n\tgarbage line\n',
    );
    expect(records[0]?.affected).toEqual([]);
    expect(warnings.map((w) => [w.line, w.message])).toEqual([
      [3, 'unknown Debian release hurd'],
      [4, 'unknown status <weird>'],
      [5, 'not an advisory line: garbage line'],
    ]);
    expect(() => parseDebianList('\t[bookworm] - foo 1.0\n')).toThrow(FeedError);
    expect(() => parseDebianList('hello\n')).toThrow(/before any advisory header/);
    expect(parseDebianList('').records).toEqual([]);
  });
});

import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import type { OsvRecord } from '../osv.js';
import { alpineSecdbToOsv, parseAlpineSecdb, parseSecfixLine } from './alpine.js';
import { FeedError } from './errors.js';

const secdbDir = sharedData('alpine-secdb');
const releases = ['v3.3', 'v3.4', 'v3.5', 'v3.6', 'v3.7', 'v3.8', 'v3.9', 'v3.10', 'v3.11'];

function readAll(): OsvRecord[] {
  const dbs = releases.flatMap((r) =>
    ['main.yaml', 'community.yaml'].map((f) => {
      const p = path.join(secdbDir, r, f);
      return parseAlpineSecdb(readFileSync(p, 'utf8'), p);
    }),
  );
  return alpineSecdbToOsv(dbs);
}

function affectedOf(rec: OsvRecord | undefined, ecosystem: string, name: string) {
  return rec?.affected?.find((a) => a.package?.ecosystem === ecosystem && a.package.name === name);
}

describe('Alpine secdb', () => {
  const records = readAll();
  const byId = new Map(records.map((r) => [r.id, r]));

  it('converts every release v3.3 to v3.11 into one record per vulnerability id', () => {
    // Counted independently from the YAML text (one id per line, CVE first): 2469 ids, 11870
    // (id, release, package) triples.
    expect(records.length).toBe(2469);
    expect(records.reduce((n, r) => n + (r.affected?.length ?? 0), 0)).toBe(11870);
    expect(new Set(records.map((r) => r.id)).size).toBe(records.length);
    const ecosystems = new Set(records.flatMap((r) => (r.affected ?? []).map((a) => a.package?.ecosystem)));
    expect([...ecosystems].sort()).toEqual(releases.map((r) => `Alpine:${r}`).sort());
    for (const r of records) {
      expect(r.id).toMatch(/^ALPINE-/);
      expect(r.aliases?.[0]).toBe(r.id.slice('ALPINE-'.length));
      expect(r.affected?.length).toBeGreaterThan(0);
    }
  });

  it('gives each release and origin package a range fixed in the secfixes version', () => {
    const rec = byId.get('ALPINE-CVE-2019-1543');
    expect(rec?.aliases).toEqual(['CVE-2019-1543']);
    expect(affectedOf(rec, 'Alpine:v3.9', 'openssl')).toEqual({
      package: { ecosystem: 'Alpine:v3.9', name: 'openssl' },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.1b-r1' }] }],
      database_specific: { portcullis_status: 'fixed' },
    });
    // Other packages fixed for the same CVE get their own entry (v3.10 main lists it under two).
    expect(affectedOf(rec, 'Alpine:v3.10', 'openssl')?.ranges?.[0]?.events).toEqual([
      { introduced: '0' },
      { fixed: '1.1.1b-r1' },
    ]);
    expect(affectedOf(rec, 'Alpine:v3.10', 'file')?.ranges?.[0]?.events[1]).toEqual({ fixed: '5.36-r0' });
  });

  it('reads a fixed version of 0 as not affected in that release', () => {
    const rec = byId.get('ALPINE-CVE-2016-0682');
    expect(affectedOf(rec, 'Alpine:v3.8', 'db')).toEqual({
      package: { ecosystem: 'Alpine:v3.8', name: 'db' },
      database_specific: { portcullis_status: 'not_affected', portcullis_raw_status: '0' },
    });
  });

  it('keeps the other ids on a secfixes line as aliases', () => {
    const rec = byId.get('ALPINE-CVE-2016-6258');
    expect(rec?.aliases).toEqual(['CVE-2016-6258', 'XSA-182']);
    expect(affectedOf(rec, 'Alpine:v3.9', 'xen')?.ranges?.[0]?.events[1]).toEqual({ fixed: '4.7.0-r0' });
  });

  it('reads hand-written secfixes lines as the ids they mean', () => {
    expect(parseSecfixLine('CVE 2018-16859')).toEqual(['CVE-2018-16859']);
    expect(parseSecfixLine('CVE_2019-2426')).toEqual(['CVE-2019-2426']);
    expect(parseSecfixLine('CVE-2017-17434-1')).toEqual(['CVE-2017-17434']);
    expect(parseSecfixLine(' CVE-2016-6263')).toEqual(['CVE-2016-6263']);
    expect(parseSecfixLine('CVE-????-?????  XSA-295')).toEqual(['XSA-295']);
    expect(parseSecfixLine('XSA-207 CVE-2017-1')).toEqual(['XSA-207']);
    expect(parseSecfixLine('CVE-2017-14450 TALOS-2017-0499')).toEqual(['CVE-2017-14450', 'TALOS-2017-0499']);
    expect(parseSecfixLine('see upstream')).toEqual([]);
  });

  it('reproduces vunnel’s normalized v3.15 output (release, package, fixed version per CVE)', () => {
    const base = path.join(secdbDir, 'vunnel-alpine');
    const dbs = ['main.yaml', 'community.yaml'].map((f) => {
      const p = path.join(base, 'input', 'secdb', 'v3.15', f);
      return parseAlpineSecdb(readFileSync(p, 'utf8'), p);
    });
    const recs = new Map(alpineSecdbToOsv(dbs).map((r) => [r.id, r]));
    const snapshots = readdirSync(path.join(base, 'snapshots', '3.15'));
    expect(snapshots.length).toBe(16);
    for (const file of snapshots) {
      const snap = JSON.parse(readFileSync(path.join(base, 'snapshots', '3.15', file), 'utf8')) as {
        item: {
          Vulnerability: {
            Name: string;
            FixedIn: { Name: string; Version: string; NamespaceName: string }[];
          };
        };
      };
      const v = snap.item.Vulnerability;
      const rec = recs.get(`ALPINE-${v.Name}`);
      const got = (rec?.affected ?? []).map((a) => ({
        NamespaceName: (a.package?.ecosystem ?? '').replace('Alpine:v', 'alpine:'),
        Name: a.package?.name,
        Version: (a.ranges?.[0]?.events[1] as { fixed: string } | undefined)?.fixed,
      }));
      expect(got, file).toEqual(
        v.FixedIn.map((f) => ({ NamespaceName: f.NamespaceName, Name: f.Name, Version: f.Version })),
      );
    }
    expect(recs.size).toBe(16);
  });

  it('reads the JSON form of a secdb file and takes the release from the path when the file has none', () => {
    const json = JSON.stringify({
      reponame: 'main',
      packages: [
        { pkg: { name: 'zlib', secfixes: { '1.2.12-r2': ['CVE-2022-37434'], '0': ['CVE-2023-45853'] } } },
      ],
    });
    const db = parseAlpineSecdb(json, '/mirror/v3.19/main.json');
    expect(db.ecosystem).toBe('Alpine:v3.19');
    const recs = alpineSecdbToOsv([db], { modified: '2024-01-01T00:00:00Z' });
    expect(
      recs.map((r) => [r.id, r.modified, r.affected?.[0]?.database_specific?.['portcullis_status']]),
    ).toEqual([
      ['ALPINE-CVE-2022-37434', '2024-01-01T00:00:00Z', 'fixed'],
      ['ALPINE-CVE-2023-45853', '2024-01-01T00:00:00Z', 'not_affected'],
    ]);
  });

  it('rejects input that is not a secdb document, naming the file', () => {
    expect(() => parseAlpineSecdb('packages: 3\n', 'v3.9/main.yaml')).toThrow(FeedError);
    expect(() => parseAlpineSecdb('distroversion: v3.9\n', 'x.yaml')).toThrow(/packages list/);
    expect(() => parseAlpineSecdb('packages: []\n', 'nowhere.yaml')).toThrow(/no release/);
    expect(() => parseAlpineSecdb('{ unclosed', 'v3.9/main.json')).toThrow(/not YAML or JSON/);
  });
});

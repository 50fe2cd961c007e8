import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedData } from '../../testing/fixtures.js';
import type { OsvRecord } from '../osv.js';
import { safeParseOsvRecord } from '../schema.js';
import { openVulnDb } from '../store.js';
import { alpineSecdbToOsv, parseAlpineSecdb } from './alpine.js';
import { debianTrackerJsonToOsv } from './debian-json.js';
import { parseDebianList } from './debian.js';

const alpine = alpineSecdbToOsv(
  ['v3.9', 'v3.10', 'v3.11'].flatMap((r) =>
    ['main.yaml', 'community.yaml'].map((f) => {
      const p = sharedData('alpine-secdb', r, f);
      return parseAlpineSecdb(readFileSync(p, 'utf8'), p);
    }),
  ),
);
const dsa = parseDebianList(readFileSync(sharedData('debian-tracker', 'DSA-list.txt'), 'utf8')).records;
const dla = parseDebianList(readFileSync(sharedData('debian-tracker', 'DLA-list.txt'), 'utf8')).records;
const tracker = debianTrackerJsonToOsv(
  JSON.parse(readFileSync(sharedData('debian-tracker', 'vunnel', 'input', 'debian.json'), 'utf8')) as unknown,
).records;

describe('converted feeds in the store', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-feeds-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('every converted record is valid OSV by the store’s schema', () => {
    const invalid = [...alpine, ...dsa, ...dla, ...tracker]
      .map((r: OsvRecord) => safeParseOsvRecord(r))
      .filter((r) => !r.ok);
    expect(invalid).toEqual([]);
  });

  it('imports and answers matching queries by ecosystem and source package', () => {
    const db = openVulnDb(path.join(dir, 'feeds.db'));
    try {
      expect(
        db.importRecords(alpine, { name: 'alpine-secdb', kind: 'alpine-secdb', location: 'test' }).inserted,
      ).toBe(alpine.length);
      db.importRecords(dsa, { name: 'debian-dsa', kind: 'debian-dsa-list', location: 'test' });
      db.importRecords(dla, { name: 'debian-dla', kind: 'debian-dla-list', location: 'test' });
      db.importRecords(tracker, { name: 'debian-json', kind: 'debian-tracker-json', location: 'test' });
      expect(db.advisoriesFor('Alpine:v3.9', 'openssl').map((r) => r.id)).toContain('ALPINE-CVE-2019-1543');
      expect(db.advisoriesFor('Debian:11', 'xorg-server').map((r) => r.id)).toContain('DSA-5380-1');
      expect(db.advisoriesFor('Debian:10', 'xorg-server').map((r) => r.id)).toContain('DLA-3372-1');
      expect(db.advisoriesFor('Debian:12', 'sope').map((r) => r.id)).toEqual(['DEBIAN-CVE-2025-53603']);
      expect(db.status().records).toBe(alpine.length + dsa.length + dla.length + tracker.length);
    } finally {
      db.close();
    }
  });
});

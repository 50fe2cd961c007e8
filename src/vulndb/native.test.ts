import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sharedData } from '../testing/fixtures.js';
import { detectFeed, importFeeds } from './native.js';
import { openVulnDb } from './store.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'pc-native-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('detectFeed', () => {
  it.each([
    ['debian-tracker/DSA-list.txt', 'debian-list'],
    ['debian-tracker/DLA-list.txt', 'debian-list'],
    ['alpine-secdb/v3.10/main.yaml', 'alpine-secdb'],
    ['osv-schema/schema.json', 'osv'],
  ])('%s is %s', async (file, kind) => {
    expect(await detectFeed(sharedData(file))).toBe(kind);
  });
});

describe('importFeeds', () => {
  it('imports a DSA list, a directory of Alpine secdb files and OSV JSON, each as its kind', async () => {
    const osvFile = path.join(work, 'GHSA-test.json');
    await writeFile(
      osvFile,
      JSON.stringify({
        id: 'GHSA-aaaa-bbbb-cccc',
        modified: '2024-01-01T00:00:00Z',
        affected: [
          {
            package: { ecosystem: 'PyPI', name: 'jinja2' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.11.3' }] }],
          },
        ],
      }),
    );
    const db = openVulnDb(path.join(work, 'feeds.db'));
    try {
      const reports = await importFeeds(db, [
        sharedData('debian-tracker/DSA-list.txt'),
        sharedData('alpine-secdb/v3.10'),
        osvFile,
      ]);
      expect(reports.map((r) => r.kind).sort()).toEqual(['alpine-secdb', 'debian-list', 'osv']);
      for (const r of reports) expect(r.imported).toBeGreaterThan(0);
      // DSA-5380-1 fixed xorg-server in bullseye at 2:1.20.11-1+deb11u6 (first entry of the list).
      const xorg = db.advisoriesFor('Debian:11', 'xorg-server').map((r) => r.id);
      expect(xorg).toContain('DSA-5380-1');
      expect(db.advisoriesFor('Alpine:v3.10', 'openssl').length).toBeGreaterThan(0);
      expect(db.advisoriesFor('PyPI', 'jinja2').map((r) => r.id)).toEqual(['GHSA-aaaa-bbbb-cccc']);
    } finally {
      db.close();
    }
  });
});

import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { OsvRecord } from './osv.js';
import {
  defaultDbPath,
  openVulnDb,
  rebuildVulnDb,
  VULNDB_SCHEMA_VERSION,
  type VulnDb,
  type VulnSource,
} from './store.js';

function record(
  id: string,
  modified: string,
  packages: [string, string][],
  extra: Partial<OsvRecord> = {},
): OsvRecord {
  return {
    id,
    modified,
    affected: packages.map(([ecosystem, name]) => ({
      package: { ecosystem, name },
      ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0' }] }],
    })),
    ...extra,
  };
}

const source: VulnSource = { name: 'test', kind: 'osv-json', location: '/nowhere' };
const ids = (rs: readonly OsvRecord[]): string[] => rs.map((r) => r.id);

let dir: string;
let db: VulnDb;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vulndb-store-'));
  db = openVulnDb(path.join(dir, 'db', 'portcullis.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('defaultDbPath', () => {
  it.each([
    { env: { PORTCULLIS_DB: '/data/vulns.db' }, want: '/data/vulns.db' },
    { env: { PORTCULLIS_DB: '', PORTCULLIS_CACHE_DIR: '/c' }, want: '/c/db/portcullis.db' },
    { env: { XDG_CACHE_HOME: '/x' }, want: '/x/portcullis/db/portcullis.db' },
  ])('$env → $want', ({ env, want }) => {
    expect(defaultDbPath(env)).toBe(want);
  });
});

describe('advisoriesFor', () => {
  beforeEach(() => {
    db.importRecords(
      [
        record('GHSA-1', '2024-01-01T00:00:00Z', [['PyPI', 'jinja2']]),
        record('PYSEC-2', '2024-01-01T00:00:00Z', [
          ['PyPI', 'jinja2'],
          ['PyPI', 'markupsafe'],
        ]),
        record('GHSA-3', '2024-01-01T00:00:00Z', [['PyPI', 'jinja2']], { withdrawn: '2024-02-01T00:00:00Z' }),
        record('DSA-4', '2024-01-01T00:00:00Z', [
          ['Debian:12', 'openssl'],
          ['Debian:11', 'openssl'],
        ]),
        record('GO-5', '2024-01-01T00:00:00Z', []),
      ],
      source,
    );
  });

  it('returns every non-withdrawn record for the package', () => {
    expect(ids(db.advisoriesFor('PyPI', 'jinja2'))).toEqual(['GHSA-1', 'PYSEC-2']);
    expect(ids(db.advisoriesFor('PyPI', 'markupsafe'))).toEqual(['PYSEC-2']);
    expect(db.advisoriesFor('PyPI', 'jinja2')[0]).toEqual(
      record('GHSA-1', '2024-01-01T00:00:00Z', [['PyPI', 'jinja2']]),
    );
  });

  it('matches ecosystem and name exactly', () => {
    expect(ids(db.advisoriesFor('Debian:12', 'openssl'))).toEqual(['DSA-4']);
    expect(db.advisoriesFor('Debian', 'openssl')).toEqual([]);
    expect(db.advisoriesFor('pypi', 'jinja2')).toEqual([]);
    expect(db.advisoriesFor('PyPI', 'Jinja2')).toEqual([]);
  });

  it('lists ecosystems with their record counts, withdrawn records left out', () => {
    expect(db.listEcosystems()).toEqual([
      { ecosystem: 'Debian:11', records: 1 },
      { ecosystem: 'Debian:12', records: 1 },
      { ecosystem: 'PyPI', records: 2 },
    ]);
  });

  it('uses the (ecosystem, name) index, not a scan', () => {
    const raw = new Database(db.path, { readonly: true });
    const plan = raw
      .prepare(
        `EXPLAIN QUERY PLAN SELECT r.json FROM affected a JOIN records r ON r.id = a.record_id
         WHERE a.ecosystem = ? AND a.name = ? AND r.withdrawn IS NULL`,
      )
      .all('PyPI', 'jinja2') as { detail: string }[];
    raw.close();
    const details = plan.map((p) => p.detail).join('\n');
    expect(details).toMatch(/SEARCH a USING PRIMARY KEY \(ecosystem=\? AND name=\?\)/);
    expect(details).not.toMatch(/SCAN/);
  });
});

describe('importRecords', () => {
  it('keeps the newer record by modified, whatever the order of imports', () => {
    const older = record('GHSA-1', '2024-01-01T00:00:00Z', [['npm', 'a']]);
    const newer = record('GHSA-1', '2024-01-01T00:00:00.5Z', [['npm', 'b']]);
    expect(db.importRecords([older], source)).toEqual({ inserted: 1, updated: 0, unchanged: 0 });
    expect(db.importRecords([newer], source)).toEqual({ inserted: 0, updated: 1, unchanged: 0 });
    expect(db.importRecords([older], source)).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    expect(db.importRecords([newer], source)).toEqual({ inserted: 0, updated: 0, unchanged: 1 });
    expect(db.getRecord('GHSA-1')).toEqual(newer);
    // The index follows the record: the package it no longer names finds nothing.
    expect(db.advisoriesFor('npm', 'a')).toEqual([]);
    expect(ids(db.advisoriesFor('npm', 'b'))).toEqual(['GHSA-1']);
  });

  it('writes nothing when the records fail part-way', () => {
    db.importRecords([record('GHSA-0', '2024-01-01T00:00:00Z', [['npm', 'a']])], source);
    const before = db.status();
    function* failing(): Generator<OsvRecord> {
      yield record('GHSA-1', '2024-01-01T00:00:00Z', [['npm', 'a']]);
      yield record('GHSA-0', '2025-01-01T00:00:00Z', [['npm', 'z']]);
      throw new Error('feed broke');
    }
    expect(() => db.importRecords(failing(), { ...source, name: 'other' })).toThrow('feed broke');
    expect(ids(db.advisoriesFor('npm', 'a'))).toEqual(['GHSA-0']);
    expect(db.advisoriesFor('npm', 'z')).toEqual([]);
    const after = db.status();
    expect(after.sources).toEqual(before.sources);
    expect(after.lastUpdate).toBe(before.lastUpdate);
    expect(after.records).toBe(1);
  });

  it('records sources with their counts and HTTP validators', () => {
    db.importRecords([record('GHSA-1', '2024-01-01T00:00:00Z', [['npm', 'a']])], {
      ...source,
      etag: '"abc"',
      lastModified: 'Tue, 01 Oct 2024 00:00:00 GMT',
    });
    db.importRecords([record('GO-1', '2024-01-01T00:00:00Z', [['Go', 'x']])], { ...source, name: 'go' });
    const sources = db.listSources();
    expect(sources.map((s) => [s.name, s.recordCount])).toEqual([
      ['go', 1],
      ['test', 1],
    ]);
    expect(sources[1]).toMatchObject({ etag: '"abc"', lastModified: 'Tue, 01 Oct 2024 00:00:00 GMT' });
    expect(sources[0]).not.toHaveProperty('etag');
  });
});

describe('status and staleness', () => {
  it('reports schema version, counts, sources, size and last update', () => {
    const empty = db.status();
    expect(empty).toMatchObject({ schemaVersion: VULNDB_SCHEMA_VERSION, records: 0, lastUpdate: undefined });
    expect(db.ageDays()).toBeUndefined();
    db.importRecords([record('GHSA-1', '2024-01-01T00:00:00Z', [['npm', 'a']])], source);
    const s = db.status();
    expect(s.path).toBe(path.join(dir, 'db', 'portcullis.db'));
    expect(s.sizeBytes).toBeGreaterThan(0);
    expect(s.records).toBe(1);
    expect(s.ecosystems).toEqual([{ ecosystem: 'npm', records: 1 }]);
    expect(s.sources).toHaveLength(1);
    expect(typeof s.created).toBe('string');
    const last = db.lastUpdate();
    expect(last).toBeInstanceOf(Date);
    const later = new Date((last?.getTime() ?? 0) + 3 * 86_400_000);
    expect(db.ageDays(later)).toBeCloseTo(3, 5);
  });
});

describe('openVulnDb', () => {
  it('refuses a missing database when read-only', () => {
    expect(() => openVulnDb(path.join(dir, 'missing.db'), { readonly: true })).toThrow(
      expect.objectContaining({ code: 'DB_NOT_FOUND' }),
    );
    expect(existsSync(path.join(dir, 'missing.db'))).toBe(false);
  });

  it('reads a database read-only and cannot write it', () => {
    db.importRecords([record('GHSA-1', '2024-01-01T00:00:00Z', [['npm', 'a']])], source);
    const ro = openVulnDb(db.path, { readonly: true });
    try {
      expect(ids(ro.advisoriesFor('npm', 'a'))).toEqual(['GHSA-1']);
      expect(() => ro.importRecords([record('GHSA-2', '2024-01-01T00:00:00Z', [])], source)).toThrow(
        expect.objectContaining({ code: 'DB_FAILED' }),
      );
    } finally {
      ro.close();
    }
  });

  it('refuses a file that is not a Portcullis database', () => {
    const file = path.join(dir, 'other.db');
    const raw = new Database(file);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    expect(() => openVulnDb(file, { readonly: true })).toThrow(
      expect.objectContaining({ code: 'DB_INCOMPATIBLE' }),
    );
    writeFileSync(
      path.join(dir, 'text.db'),
      'hello, not sqlite at all, but long enough to be read as a header'.repeat(4),
    );
    expect(() => openVulnDb(path.join(dir, 'text.db'))).toThrow(
      expect.objectContaining({ code: 'DB_FAILED' }),
    );
  });

  it('refuses a database of another schema version', () => {
    const raw = new Database(db.path);
    raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    raw.close();
    expect(() => openVulnDb(db.path)).toThrow(expect.objectContaining({ code: 'DB_INCOMPATIBLE' }));
  });
});

describe('rebuildVulnDb', () => {
  it('swaps in a complete new database, or leaves the old one when the build fails', async () => {
    const final = path.join(dir, 'rebuilt', 'portcullis.db');
    await rebuildVulnDb(final, (fresh) => {
      fresh.importRecords([record('GHSA-1', '2024-01-01T00:00:00Z', [['npm', 'a']])], source);
    });
    const reader = openVulnDb(final, { readonly: true });
    await expect(
      rebuildVulnDb(final, (fresh) => {
        fresh.importRecords([record('GHSA-2', '2024-01-01T00:00:00Z', [['npm', 'a']])], source);
        throw new Error('download failed');
      }),
    ).rejects.toThrow('download failed');
    expect(ids(reader.advisoriesFor('npm', 'a'))).toEqual(['GHSA-1']);
    expect(readdirSync(path.dirname(final))).toEqual(['portcullis.db']);

    await rebuildVulnDb(final, (fresh) => {
      fresh.importRecords([record('GHSA-3', '2024-01-01T00:00:00Z', [['npm', 'a']])], source);
    });
    // A reader that opened the old file keeps reading it; a new one sees the new database.
    expect(ids(reader.advisoriesFor('npm', 'a'))).toEqual(['GHSA-1']);
    reader.close();
    const fresh = openVulnDb(final, { readonly: true });
    expect(ids(fresh.advisoriesFor('npm', 'a'))).toEqual(['GHSA-3']);
    fresh.close();
    expect(readdirSync(path.dirname(final))).toEqual(['portcullis.db']);
  });
});

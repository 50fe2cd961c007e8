import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { digestOf, type Digest } from '../../core/index.js';
import type { Inventory } from '../../inventory/index.js';
import { SqliteAccountStore, SqliteAuditLog, SqliteMetadataStore } from '../../registry/index.js';
import type { Finding } from '../../scan/index.js';
import { SCAN_SCHEMA_VERSION, SqliteScanStore } from './scan-store.js';

let dir: string;
let file: string;
let db: Database.Database;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pc-scan-store-'));
  file = path.join(dir, 'registry.db');
  db = new Database(file);
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const EMPTY: Inventory = { os: undefined, packages: [], gaps: [], warnings: [] };

function finding(id: string): Finding {
  return { id, package: { name: 'musl' } } as unknown as Finding;
}

describe('SqliteScanStore', () => {
  it('shares registry.db with the metadata, account and audit tables and migrates once', async () => {
    const metadata = SqliteMetadataStore.open(file);
    new SqliteAccountStore(db);
    new SqliteAuditLog(db);
    const store = new SqliteScanStore(db);
    new SqliteScanStore(db);
    const version = db.prepare('SELECT version FROM scan_schema_version').get() as { version: number };
    expect(version.version).toBe(SCAN_SCHEMA_VERSION);
    const d = digestOf('x');
    expect(store.enqueue({ digest: d, repository: 'team/app' })).toBe(true);
    expect(await store.scanOf(d)).toMatchObject({ digest: d, status: 'pending', findings: [] });
    await metadata.close();
  });

  it('refuses tables written by a newer Portcullis', () => {
    new SqliteScanStore(db);
    db.prepare('UPDATE scan_schema_version SET version = ?').run(SCAN_SCHEMA_VERSION + 1);
    expect(() => new SqliteScanStore(db)).toThrow(
      expect.objectContaining({ code: 'SCAN_STORE_INCOMPATIBLE' }),
    );
  });

  it('queues a digest once; a failure without an inventory is queued again, one with an inventory is not', () => {
    const store = new SqliteScanStore(db);
    const [a, b, c] = ['a', 'b', 'c'].map((s) => digestOf(s)) as [Digest, Digest, Digest];
    expect(store.enqueue({ digest: a, repository: 'team/one' })).toBe(true);
    expect(store.enqueue({ digest: a, repository: 'team/two' })).toBe(false);
    store.enqueue({ digest: b, repository: 'team/one' });
    store.enqueue({ digest: c, repository: 'team/one' });
    expect(store.pending().map((j) => j.digest)).toEqual([a, b, c]);

    store.recordDone(a, { inventory: EMPTY, findings: [], dbVersion: 'v1', scannedAt: 't' });
    store.recordFailed(b, 'manifest blob missing', 't');
    store.recordFailed(c, 'no vulnerability database', 't', EMPTY);
    expect(store.enqueue({ digest: a, repository: 'team/one' })).toBe(false);
    expect(store.enqueue({ digest: b, repository: 'team/one' })).toBe(true);
    expect(store.enqueue({ digest: c, repository: 'team/one' })).toBe(false);
    expect(store.pending().map((j) => j.digest)).toEqual([b]);
    expect(store.scanOfSync(b)).toMatchObject({ status: 'pending', error: undefined });
    expect(store.recordUnsupportedOnPush({ digest: a, repository: 'team/one' }, 'index')).toBe(false);
  });

  it('finds the inventories matched against another database version and records what a re-match changed', () => {
    const store = new SqliteScanStore(db);
    const [a, b] = ['a', 'b'].map((s) => digestOf(s)) as [Digest, Digest];
    for (const d of [a, b]) store.enqueue({ digest: d, repository: 'team/app' });
    store.recordDone(a, { inventory: EMPTY, findings: [finding('CVE-1')], dbVersion: 'v1', scannedAt: 't' });
    store.recordDone(b, { inventory: EMPTY, findings: [], dbVersion: 'v2', scannedAt: 't' });
    expect(store.hasStale('v2')).toBe(true);
    const { rows } = store.inventories('v2', 0, 10);
    expect(rows.map((r) => r.digest)).toEqual([a]);
    expect(store.inventories('v2', 0, 10, true).rows).toHaveLength(2);

    const row = rows[0];
    if (row === undefined) throw new Error('no stale row');
    const change = store.recordRematch(
      row,
      [finding('CVE-2'), finding('CVE-2')],
      'v2',
      '2026-01-01T00:00:00Z',
    );
    expect(change).toMatchObject({
      digest: a,
      fromDbVersion: 'v1',
      toDbVersion: 'v2',
      added: ['CVE-2'],
      removed: ['CVE-1'],
    });
    expect(change).toMatchObject({ newlyAffected: false, resolved: false });
    expect(store.hasStale('v2')).toBe(false);
    expect(store.changesSince({ kind: 'affected' })).toHaveLength(1);
    expect(store.changesSince({ kind: 'resolved' })).toEqual([]);
    expect(store.changesSince({ since: '2026-01-02T00:00:00Z' })).toEqual([]);
    expect(store.changesSince({ digest: b })).toEqual([]);
    expect(() => store.changesSince({ limit: 0 })).toThrow(
      expect.objectContaining({ code: 'SCAN_QUERY_INVALID' }),
    );
  });
});

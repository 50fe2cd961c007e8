import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from './audit-log.js';
import { AuditError } from './errors.js';
import { AUDIT_SCHEMA_VERSION, SqliteAuditLog } from './sqlite.js';

let dir: string;
let db: Database.Database;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'portcullis-audit-'));
  db = new Database(path.join(dir, 'registry.db'));
  // As registry.db is in production (SqliteMetadataStore turns WAL on for the file).
  db.pragma('journal_mode = WAL');
});

afterEach(async () => {
  db.close();
  await rm(dir, { recursive: true, force: true });
});

const event = (i: number, over: Partial<AuditEvent> = {}): AuditEvent => ({
  time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  actorKind: 'user',
  actor: i % 2 === 0 ? 'dev' : 'ops',
  action: i % 3 === 0 ? 'push' : 'pull',
  repository: `team/app${i % 4}`,
  result: 'success',
  client: '127.0.0.1',
  ...over,
});

describe('SqliteAuditLog', () => {
  it('filters by actor, repository, action and time, newest first, paging with before', () => {
    const log = new SqliteAuditLog(db);
    for (let i = 0; i < 24; i++) log.record(event(i));
    const dev = log.query({ actor: 'dev', action: 'push' });
    expect(dev.map((e) => e.time.slice(17, 19))).toEqual(['18', '12', '06', '00']);
    expect(log.query({ repository: 'team/app1' })).toHaveLength(6);
    expect(log.query({ since: '2026-01-01T00:00:20.000Z' })).toHaveLength(4);
    const page = log.query({ limit: 5 });
    const next = log.query({ limit: 5, before: page[4]?.id ?? 0 });
    expect(next[0]?.id).toBe((page[4]?.id ?? 0) - 1);
    expect(() => log.query({ limit: 0 })).toThrow(AuditError);
    expect(() => log.query({ limit: 1001 })).toThrow(AuditError);
  });

  it('keeps absent fields absent and truncates long text', () => {
    const log = new SqliteAuditLog(db);
    log.record(event(1, { reason: 'r'.repeat(2000), userAgent: 'u'.repeat(2000), status: 403 }));
    const [e] = log.query();
    expect(e?.reason).toHaveLength(500);
    expect(e?.userAgent).toHaveLength(200);
    expect(e?.status).toBe(403);
    expect(e !== undefined && 'digest' in e).toBe(false);
  });

  it('exports every matching event as JSON lines, oldest first, across read batches', () => {
    const log = new SqliteAuditLog(db);
    for (let i = 0; i < 1203; i++) log.record(event(i % 60, { reference: String(i) }));
    const lines = [...log.exportJsonLines()];
    expect(lines).toHaveLength(1203);
    const refs = lines.map((l) => (JSON.parse(l) as AuditEvent).reference);
    expect(refs).toEqual(Array.from({ length: 1203 }, (_, i) => String(i)));
    // Recording while an export is under way works: the export holds no open statement.
    const it = log.exportJsonLines({ actor: 'ops' })[Symbol.iterator]();
    it.next();
    log.record(event(1));
    expect([...{ [Symbol.iterator]: () => it }].length).toBeGreaterThan(500);
  });

  it('shares the database file across reopenings and refuses a newer schema', () => {
    new SqliteAuditLog(db).record(event(1));
    expect(new SqliteAuditLog(db).query()).toHaveLength(1);
    db.prepare('UPDATE audit_schema_version SET version = ?').run(AUDIT_SCHEMA_VERSION + 1);
    expect(() => new SqliteAuditLog(db)).toThrow(/schema version/);
  });

  it('upgrades a version 1 log in place: old records kept, management changes recorded with their target', () => {
    // The version 1 table as the first release created it (no target column).
    db.exec(`
      CREATE TABLE audit_schema_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL);
      INSERT INTO audit_schema_version (id, version) VALUES (1, 1);
      CREATE TABLE audit_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT, time TEXT NOT NULL,
        actor_kind TEXT NOT NULL CHECK (actor_kind IN ('user', 'robot', 'anonymous')),
        actor TEXT NOT NULL, action TEXT NOT NULL, repository TEXT, reference TEXT, digest TEXT,
        result TEXT NOT NULL CHECK (result IN ('success', 'failure')), reason TEXT,
        client TEXT NOT NULL, user_agent TEXT, status INTEGER);
      INSERT INTO audit_events (time, actor_kind, actor, action, result, client)
        VALUES ('2026-01-01T00:00:00.000Z', 'user', 'dev', 'push', 'success', '127.0.0.1');
    `);
    const log = new SqliteAuditLog(db);
    expect(
      (db.prepare('SELECT version FROM audit_schema_version').get() as { version: number }).version,
    ).toBe(AUDIT_SCHEMA_VERSION);
    log.record(event(2, { action: 'manage', target: 'user:alice password changed', repository: undefined }));
    const [manage, old] = log.query();
    expect(manage).toMatchObject({ action: 'manage', target: 'user:alice password changed' });
    expect(old).toMatchObject({ action: 'push', actor: 'dev' });
    expect(old !== undefined && 'target' in old).toBe(false);
    expect(log.query({ action: 'manage' })).toHaveLength(1);
  });
});
